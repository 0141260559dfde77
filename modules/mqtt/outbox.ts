/**
 * Coalesces the packets written during one job into one transport write at the end of the job (a
 * promise job, no timer): a chunk of 50 PUBACKs that frees 50 window slots becomes one socket write
 * and one TLS record instead of 50. A full TLS record's worth goes out at once.
 */
import type { Connection } from '../../platform/pal/index.js';

/** Coalesced output is flushed at once when it reaches one TLS record's worth. */
export const OUTBOX_FLUSH_BYTES = 16 * 1024;

export class Outbox {
  #packets: Uint8Array[] = [];
  #bytes = 0;
  #connection: Connection | undefined;
  #scheduled = false;
  readonly #current: () => Connection | undefined;
  readonly #onWriteError: (error: unknown) => void;

  /**
   * `current` names the live connection: output queued for any other one is dropped (it is gone).
   * `onWriteError` hears about a write that threw (a dying socket; its onClose follows).
   */
  constructor(current: () => Connection | undefined, onWriteError: (error: unknown) => void) {
    this.#current = current;
    this.#onWriteError = onWriteError;
  }

  write(connection: Connection, packet: Uint8Array): void {
    if (this.#connection !== connection) {
      this.#packets = [];
      this.#bytes = 0;
      this.#connection = connection;
    }
    this.#packets.push(packet);
    this.#bytes += packet.length;
    if (this.#bytes >= OUTBOX_FLUSH_BYTES) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      void Promise.resolve().then(this.#flushLater);
    }
  }

  /** Writes what is queued now (e.g. before DISCONNECT). */
  flush(): void {
    const connection = this.#connection;
    const packets = this.#packets;
    if (packets.length === 0) return;
    const total = this.#bytes;
    this.#packets = [];
    this.#bytes = 0;
    if (!connection || connection !== this.#current()) return;
    if (packets.length === 1) {
      this.writeNow(connection, packets[0]!);
      return;
    }
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const packet of packets) {
      joined.set(packet, offset);
      offset += packet.length;
    }
    this.writeNow(connection, joined);
  }

  /** Bypasses coalescing (CONNECT on a fresh connection, DISCONNECT on the way out). */
  writeNow(connection: Connection, bytes: Uint8Array): void {
    try {
      connection.write(bytes);
    } catch (error) {
      this.#onWriteError(error);
    }
  }

  #flushLater = (): void => {
    this.#scheduled = false;
    this.flush();
  };
}
