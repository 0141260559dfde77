/**
 * PAL Clock over Moddable's `time` module. The ESP32 wall clock starts near the epoch and is right
 * only after SNTP (the Moddable network setup runs it when `config.sntp` is set) or `set()`; like
 * Moddable's setup/network.js we also trust it once Date.now() is past 2023-01-03, the build-era
 * floor no unsynchronised clock reaches.
 */
import Time from 'time';
import SNTP from 'sntp';
import type { Clock } from '../pal/index.js';
import type { Logger } from '../pal/index.js';

export const SYNCHRONIZED_AFTER_MS = 1_672_722_071_000;

/** The `sntp` module's callback messages (modules/network/sntp/sntp.js has no named constants). */
export const SntpMessage = { time: 1, retry: 2, error: -1 } as const;

export class ModdableClock implements Clock {
  #setByUs = false;

  now(): number {
    return Date.now();
  }

  get synchronized(): boolean {
    return this.#setByUs || Date.now() > SYNCHRONIZED_AFTER_MS;
  }

  set(epochMs: number): void {
    Time.set(Math.round(epochMs / 1000));
    this.#setByUs = true;
  }

  monotonic(): number {
    return Time.ticks;
  }

  /**
   * Asks `host` for the time once and sets the clock; resolves true when set, false when SNTP gave
   * up. A device whose network setup already ran SNTP does not need this.
   */
  synchronize(host: string, log?: Logger): Promise<boolean> {
    return new Promise((resolve) => {
      // The module closes its socket itself after a time answer, and after an error unless the
      // callback returns another host to try.
      new SNTP({ host }, (message, value) => {
        if (message === SntpMessage.time && typeof value === 'number') {
          this.set(value * 1000);
          resolve(true);
        } else if (message === SntpMessage.error) {
          log?.log('warn', 'clock', 'SNTP failed', { host, reason: String(value) });
          resolve(false);
        }
      });
    });
  }
}
