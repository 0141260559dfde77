/**
 * Keep-alive: sends PINGREQ when nothing was sent for most of the keep-alive interval and declares the
 * connection dead when the PINGRESP does not come within `pingTimeoutMs`. Times come from the monotonic
 * clock, so a wall-clock jump (SNTP) never fires a false timeout; one repeating timer, no per-packet
 * rescheduling on the hot path.
 */
import type { Clock, TimerHandle, Timers } from '../../platform/pal/index.js';

export class KeepAlive {
  readonly intervalMs: number;
  readonly pingTimeoutMs: number;
  #timers: Timers;
  #clock: Clock;
  #timer: TimerHandle | undefined;
  #lastSentAt = 0;
  #writes = 0;
  #writesSeen = 0;
  #pingSentAt: number | undefined;
  #sendPing: () => void;
  #onTimeout: (waitedMs: number) => void;
  #onTick: ((now: number) => void) | undefined;

  constructor(
    timers: Timers,
    clock: Clock,
    intervalMs: number,
    sendPing: () => void,
    onTimeout: (waitedMs: number) => void,
    pingTimeoutMs = Math.min(intervalMs, 30_000),
    /** Called on every tick with the monotonic time, for other coarse deadlines (ack timeouts). */
    onTick?: (now: number) => void,
  ) {
    this.#onTick = onTick;
    this.#timers = timers;
    this.#clock = clock;
    this.intervalMs = intervalMs;
    this.pingTimeoutMs = pingTimeoutMs;
    this.#sendPing = sendPing;
    this.#onTimeout = onTimeout;
  }

  start(): void {
    this.stop();
    this.#lastSentAt = this.#clock.monotonic();
    this.#pingSentAt = undefined;
    const tick = Math.max(10, Math.floor(Math.min(this.intervalMs, this.pingTimeoutMs) / 4));
    this.#timer = this.#timers.repeat(() => this.#tick(), tick);
  }

  stop(): void {
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Any packet written counts as activity for the broker's keep-alive timer. Only a counter on the hot
   * path; the tick turns it into a time, at most one tick late, which the 3/4 threshold absorbs.
   */
  noteSent(): void {
    this.#writes++;
  }

  notePingResponse(): void {
    this.#pingSentAt = undefined;
  }

  #tick(): void {
    const now = this.#clock.monotonic();
    this.#onTick?.(now);
    if (this.#timer === undefined) return; // the tick callback closed the connection
    if (this.#writes !== this.#writesSeen) {
      this.#writesSeen = this.#writes;
      this.#lastSentAt = now;
    }
    if (this.#pingSentAt !== undefined) {
      const waited = now - this.#pingSentAt;
      if (waited >= this.pingTimeoutMs) {
        this.stop();
        this.#onTimeout(waited);
      }
      return;
    }
    // Ping at 3/4 of the interval: the tick is a quarter, so the broker hears from us within the interval.
    if (now - this.#lastSentAt >= (this.intervalMs * 3) / 4) {
      this.#pingSentAt = now;
      this.#lastSentAt = now;
      this.#sendPing();
      this.#writesSeen = this.#writes;
    }
  }
}
