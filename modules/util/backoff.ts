import type { Random } from '../../platform/pal/index.js';

export interface BackoffOptions {
  /** First delay ceiling in ms (default 500). */
  baseMs?: number;
  /** Largest delay ceiling in ms (default 30,000). */
  capMs?: number;
  /** Attempts before giving up; Infinity retries forever (default). */
  maxAttempts?: number;
}

/**
 * Exponential backoff with full jitter (AWS's backoffAlgorithm): attempt n waits a uniformly random
 * time in [0, min(cap, base·2ⁿ)]. Full jitter spreads a fleet's reconnects after an outage.
 */
export class Backoff {
  readonly baseMs: number;
  readonly capMs: number;
  readonly maxAttempts: number;
  #attempt = 0;
  #random: Random;

  constructor(random: Random, options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 500;
    this.capMs = options.capMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? Infinity;
    if (!(this.baseMs > 0) || !(this.capMs >= this.baseMs)) {
      throw new RangeError(`expected 0 < baseMs <= capMs, got baseMs ${this.baseMs}, capMs ${this.capMs}`);
    }
    this.#random = random;
  }

  get attempts(): number {
    return this.#attempt;
  }

  /** The next delay in ms, or undefined when the attempts are used up. */
  next(): number | undefined {
    if (this.#attempt >= this.maxAttempts) return undefined;
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    const r = this.#random.bytes(4);
    const fraction = ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
    return Math.floor((fraction / 0x1_0000_0000) * (ceiling + 1));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
