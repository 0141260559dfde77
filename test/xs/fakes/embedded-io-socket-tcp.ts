/**
 * Lane fake of ECMA-419 `embedded:io/socket/tcp` as Moddable's lwIP binding behaves: it needs a dotted
 * `address` (it ignores `host`), reports connection by a first onWritable, errors by a bare onError,
 * and hands out received bytes through read(count).
 */
import { networkFake } from './network.js';
import type { Peer } from './network.js';

const WINDOW = 2048;

interface Options {
  address?: string;
  host?: string;
  port: number;
  onReadable?: (count: number) => void;
  onWritable?: (count: number) => void;
  onError?: () => void;
}

export const tcpFake = { lastOptions: undefined as Options | undefined, written: [] as number[] };

export default class TCP {
  readonly #options: Options;
  #received: Uint8Array[] = [];
  #peer: Peer | undefined;
  #state: 'connecting' | 'open' | 'closed' = 'connecting';
  format = 'buffer';

  constructor(options: Options) {
    this.#options = options;
    tcpFake.lastOptions = options;
    const address = options.address;
    if (typeof address !== 'string' || !/^\d+\.\d+\.\d+\.\d+$/.test(address)) throw new Error('address required (dotted IP)');
    if (!Number.isInteger(options.port)) throw new Error('port required');
    const key = `${address}:${options.port}`;
    if (networkFake.blackholes.has(address)) return;
    networkFake.later(() => {
      if (this.#state !== 'connecting') return;
      const server = networkFake.servers.get(key);
      if (!server) {
        this.#state = 'closed';
        this.#options.onError?.call(this);
        return;
      }
      networkFake.connections += 1;
      const peer: Peer = {
        send: (bytes) =>
          networkFake.later(() => {
            if (this.#state !== 'open') return;
            this.#received.push(bytes.slice());
            this.#options.onReadable?.call(this, this.#available());
          }, 1),
        close: () =>
          networkFake.later(() => {
            if (this.#state !== 'open') return;
            this.#state = 'closed';
            this.#options.onError?.call(this);
          }, 1),
      };
      this.#peer = peer;
      this.#state = 'open';
      server.accept(peer);
      this.#options.onWritable?.call(this, WINDOW);
    });
  }

  /** The server of this connection (the TLS fake checks its requirements). */
  get fakeServer() {
    const { address, port } = this.#options;
    return networkFake.servers.get(`${address}:${port}`);
  }

  #available(): number {
    return this.#received.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  read(count?: number): ArrayBuffer | undefined {
    if (this.#state === 'closed' && this.#received.length === 0) return undefined;
    const want = count ?? this.#available();
    const out = new Uint8Array(Math.min(want, this.#available()));
    let filled = 0;
    while (filled < out.length) {
      const head = this.#received[0]!;
      const take = Math.min(head.length, out.length - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.#received.shift();
      else this.#received[0] = head.subarray(take);
    }
    return out.buffer;
  }

  write(buffer: ArrayBuffer | ArrayBufferView): number {
    if (this.#state !== 'open') throw new Error('not connected');
    const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (bytes.length > WINDOW) throw new Error('write exceeds writable');
    tcpFake.written.push(bytes.length);
    const copy = bytes.slice();
    networkFake.later(() => this.#peer?.onData?.(copy), 1);
    // the window reopens once the peer has the bytes
    networkFake.later(() => {
      if (this.#state === 'open') this.#options.onWritable?.call(this, WINDOW);
    }, 2);
    return WINDOW - bytes.length;
  }

  close(): void {
    if (this.#state === 'closed') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    if (wasOpen) networkFake.later(() => this.#peer?.onClose?.(), 1);
  }
}
