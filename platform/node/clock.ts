import { performance } from 'node:perf_hooks';
import type { Clock } from '../pal/index.js';

export interface NodeClockOptions {
  /**
   * Whether the wall clock starts synchronised. The Node host's clock is NTP-disciplined, so true by
   * default; tests pass false to exercise the device's "time not yet known" path.
   */
  synchronized?: boolean;
}

/** Wall clock = host clock + an offset set by `set()`; monotonic = performance.now(). */
export class NodeClock implements Clock {
  #offsetMs = 0;
  #synchronized: boolean;

  constructor(options: NodeClockOptions = {}) {
    this.#synchronized = options.synchronized ?? true;
  }

  get synchronized(): boolean {
    return this.#synchronized;
  }

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  set(epochMs: number): void {
    if (!Number.isFinite(epochMs)) throw new RangeError(`expected a finite epoch time in ms, got ${epochMs}`);
    this.#offsetMs = epochMs - Date.now();
    this.#synchronized = true;
  }

  monotonic(): number {
    return performance.now();
  }
}
