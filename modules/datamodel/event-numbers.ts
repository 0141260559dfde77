/**
 * Event numbers: increase monotonically per device and survive reboots (device-protocol.md 4.3).
 *
 * Write-ahead reservation: storage holds a high-water mark H meaning "no number ≥ H has ever been
 * handed out". Before numbers in [n, n + block) are published, H = n + block is made durable; after a
 * reboot numbering resumes at the stored H, skipping at most one block of unused numbers, never
 * reusing one. Storage is written once per `block` events (flash wear), not per event.
 *
 * `next()` must be synchronous (emitEvent is called from any callback), so it may hand out a number
 * beyond the durable mark while a reservation write is still in flight; such numbers are `durable()`
 * only once the write lands, and the reporter publishes an event only when its number is durable.
 * A reboot before that loses those unpublished events, never a number's uniqueness.
 */
import type { KeyValueStorage, TextCodec } from '../../platform/pal/index.js';

export const EVENT_NUMBER_KEY = 'dm.evnum';

export class EventNumbers {
  #storage: KeyValueStorage;
  #text: TextCodec;
  #block: number;
  #next = 1;
  /** Numbers below this are covered by a durable reservation. */
  #durable = 1;
  /** The mark being written, if a write is in flight. */
  #writing: Promise<void> | undefined;
  #loaded = false;
  onDurable?: () => void;
  onError?: (error: unknown) => void;

  constructor(storage: KeyValueStorage, text: TextCodec, block = 64) {
    if (!Number.isInteger(block) || block < 1) throw new RangeError(`expected a positive integer event-number block, got ${block}`);
    this.#storage = storage;
    this.#text = text;
    this.#block = block;
  }

  /** Reads the stored mark; numbering resumes there. Call before the first `next()`. */
  async load(): Promise<void> {
    const stored = await this.#storage.get(EVENT_NUMBER_KEY);
    let mark = 1;
    if (stored) {
      const n = Number(this.#text.decode(stored));
      if (Number.isSafeInteger(n) && n >= 1) mark = n;
    }
    this.#next = Math.max(this.#next, mark);
    this.#durable = Math.max(this.#durable, mark);
    this.#loaded = true;
    this.#reserve();
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  /** Hands out the next number (synchronously) and keeps the reservation ahead of it. */
  next(): number {
    const n = this.#next++;
    // Reserve the next block when half of the current one is used, so the write usually lands first.
    if (this.#loaded && this.#next + this.#block / 2 > this.#durable) this.#reserve();
    return n;
  }

  durable(n: number): boolean {
    return n < this.#durable;
  }

  /** Resolves once every number handed out so far is durable (or rejects if storage fails). */
  async flush(): Promise<void> {
    while (this.#writing || this.#next > this.#durable) {
      if (!this.#writing) this.#reserve();
      await this.#writing;
    }
  }

  #reserve(): void {
    if (this.#writing) return;
    const mark = this.#next + this.#block;
    this.#writing = this.#storage.set(EVENT_NUMBER_KEY, this.#text.encode(String(mark))).then(
      () => {
        this.#writing = undefined;
        this.#durable = Math.max(this.#durable, mark);
        // Numbers may have run past the mark while writing: reserve again before reporting.
        if (this.#next > this.#durable) this.#reserve();
        this.onDurable?.();
      },
      (error: unknown) => {
        this.#writing = undefined;
        this.onError?.(error);
        throw error;
      },
    );
    // The rejection is reported through onError; keep it from surfacing as unhandled.
    this.#writing.catch(() => undefined);
  }
}
