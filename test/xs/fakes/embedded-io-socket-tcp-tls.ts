/**
 * Lane fake of Moddable's `embedded:io/socket/tcp/tls` (examples/io/tcp/tlssocket): it builds the TCP
 * socket from `options.TCP.io` with the same options, "handshakes" for 10 ms of virtual time, then
 * reports writable. Instead of cryptography it checks the `secure` options against what the server
 * requires (trusted CA DER, client certificate + PKCS#8 key, ALPN); a mismatch is a bare onError, as
 * on the device. Bytes pass through unencrypted.
 */
import { networkFake } from './network.js';
import type { FakeServer } from './network.js';

interface Secure {
  certificate?: ArrayBuffer;
  clientCertificates?: ArrayBuffer[];
  clientKey?: ArrayBuffer;
  applicationLayerProtocolNegotiation?: string | string[];
}

interface Options {
  host: string;
  address?: string;
  port: number;
  TCP: { io: new (options: Record<string, unknown>) => TcpLike };
  secure: Secure;
  onReadable?: (count: number) => void;
  onWritable?: (count: number) => void;
  onError?: () => void;
}

interface TcpLike {
  read(count?: number): ArrayBuffer | undefined;
  write(buffer: ArrayBuffer | ArrayBufferView): number;
  close(): void;
  readonly fakeServer?: FakeServer;
}

export const tlsFake = {
  last: undefined as { host: string; secure: Secure } | undefined,
  handshakes: 0,
  refusals: [] as string[],
  /** Make the CA's validity check fail, as ssl_cert.js does with a wrong clock. */
  expiredCa: false,
};

const equalBytes = (a: ArrayBuffer, b: Uint8Array) => a.byteLength === b.length && new Uint8Array(a).every((x, i) => x === b[i]);

export default class TLSSocket {
  readonly #options: Options;
  readonly #tcp: TcpLike;
  #ready = false;

  constructor(options: Options) {
    if (typeof options.host !== 'string') throw new Error('host required (server name)');
    if (!options.TCP?.io) throw new Error('TCP.io required');
    const ca = options.secure?.certificate;
    if (ca !== undefined && !(ca instanceof ArrayBuffer)) throw new TypeError('secure.certificate must be one DER ArrayBuffer'); // ssl_cert.js register(cert)
    if (ca instanceof ArrayBuffer && tlsFake.expiredCa) throw new Error('date validation failed');
    this.#options = options;
    tlsFake.last = { host: options.host, secure: options.secure };
    this.#tcp = new options.TCP.io({
      ...options,
      onReadable: (count: number) => this.#ready && this.#options.onReadable?.call(this, count),
      onWritable: (count: number) => {
        if (this.#ready) this.#options.onWritable?.call(this, count);
        else networkFake.later(() => this.#handshake(count), 10);
      },
      onError: () => this.#options.onError?.call(this),
    });
  }

  #handshake(count: number): void {
    const refusal = this.#refusal(this.#tcp.fakeServer);
    if (refusal) {
      tlsFake.refusals.push(refusal);
      this.#tcp.close();
      this.#options.onError?.call(this);
      return;
    }
    tlsFake.handshakes += 1;
    this.#ready = true;
    this.#options.onWritable?.call(this, count);
  }

  #refusal(server: FakeServer | undefined): string | undefined {
    const want = server?.tls;
    if (!want) return 'server does not speak TLS';
    const secure = this.#options.secure ?? {};
    if (want.caDer) {
      if (!(secure.certificate instanceof ArrayBuffer) || !equalBytes(secure.certificate, want.caDer)) return 'server certificate not trusted';
    }
    if (want.requireClientCertificate && (!secure.clientCertificates?.length || !(secure.clientKey instanceof ArrayBuffer))) return 'no client certificate';
    if (want.alpn) {
      const offered = secure.applicationLayerProtocolNegotiation;
      const list = offered === undefined ? [] : Array.isArray(offered) ? offered : [offered];
      if (!list.some((protocol) => want.alpn!.includes(protocol))) return 'no common ALPN protocol';
    }
    return undefined;
  }

  read(count?: number): ArrayBuffer | undefined {
    return this.#tcp.read(count);
  }

  write(buffer: ArrayBuffer | ArrayBufferView): number {
    if (!this.#ready) throw new Error('handshake not complete');
    return this.#tcp.write(buffer);
  }

  close(): void {
    this.#tcp.close();
  }

  format = 'buffer';
}
