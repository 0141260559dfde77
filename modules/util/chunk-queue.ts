/**
 * Received bytes waiting for a reader: a producer pushes chunks as the network delivers them, and
 * `read(maxBytes)` hands them out in order, at most `maxBytes` at a time (views, never copies),
 * waiting while the queue is empty. The end, or the error that ended it, reaches the reader after the
 * queued bytes. Behind `HttpResponse.read` on every platform.
 */
import { checkReadSize } from '../../platform/pal/http.js';

export class ChunkQueue {
  readonly #chunks: Uint8Array[] = [];
  #queuedBytes = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  /** Called after a read took bytes (a producer that paused at a limit resumes here). */
  onTaken: (() => void) | undefined;

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  push(chunk: Uint8Array): void {
    if (this.#ended || chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#queuedBytes += chunk.byteLength;
    this.#notify();
  }

  /** No more chunks; with `error`, reads reject with it once the queued bytes are taken. The first end wins. */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#notify();
  }

  /** Drops what is queued and ends: reads return undefined (a cancelled response). */
  discard(): void {
    this.#chunks.length = 0;
    this.#queuedBytes = 0;
    this.#error = undefined;
    this.#ended = true;
    this.#notify();
  }

  async read(maxBytes: number): Promise<Uint8Array | undefined> {
    checkReadSize(maxBytes);
    for (;;) {
      const head = this.#chunks[0];
      if (head) {
        let piece = head;
        if (head.byteLength <= maxBytes) this.#chunks.shift();
        else {
          piece = head.subarray(0, maxBytes);
          this.#chunks[0] = head.subarray(maxBytes);
        }
        this.#queuedBytes -= piece.byteLength;
        this.onTaken?.();
        return piece;
      }
      if (this.#ended) {
        if (this.#error) throw this.#error;
        return undefined;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
