/**
 * Walks the fixed headers of an inbound byte stream without buffering it, so a packet whose declared
 * remaining length exceeds the limit is refused before mqtt-packet's parser (which buffers until the
 * whole packet is there, up to 256 MB) ever sees it. Chunks may split packets anywhere.
 */
import { InboundPacketTooLargeError, MalformedPacketError } from './errors.js';

const State = { Header: 0, Length: 1, Body: 2 } as const;
type State = (typeof State)[keyof typeof State];

export class FrameGuard {
  readonly maxPacketBytes: number;
  #state: State = State.Header;
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #bodyLeft = 0;

  constructor(maxPacketBytes: number) {
    this.maxPacketBytes = maxPacketBytes;
  }

  /** True between packets: the next byte starts a fixed header. */
  get atBoundary(): boolean {
    return this.#state === State.Header;
  }

  /** Checks one chunk; returns the typed error for the first bad header in it, if any. */
  check(chunk: Uint8Array): InboundPacketTooLargeError | MalformedPacketError | undefined {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#state) {
        case State.Header:
          this.#state = State.Length;
          this.#length = 0;
          this.#multiplier = 1;
          this.#lengthBytes = 0;
          i++;
          break;
        case State.Length: {
          const byte = chunk[i++]!;
          this.#length += (byte & 0x7f) * this.#multiplier;
          this.#multiplier *= 128;
          this.#lengthBytes++;
          if (byte & 0x80) {
            if (this.#lengthBytes === 4) {
              return new MalformedPacketError('remaining length uses more than 4 bytes');
            }
            break;
          }
          const total = 1 + this.#lengthBytes + this.#length;
          if (total > this.maxPacketBytes) return new InboundPacketTooLargeError(this.maxPacketBytes, total);
          this.#bodyLeft = this.#length;
          this.#state = this.#length === 0 ? State.Header : State.Body;
          break;
        }
        case State.Body: {
          const take = Math.min(this.#bodyLeft, n - i);
          i += take;
          this.#bodyLeft -= take;
          if (this.#bodyLeft === 0) this.#state = State.Header;
          break;
        }
      }
    }
    return undefined;
  }
}
