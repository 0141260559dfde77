import type { TimerHandle, Timers } from '../pal/index.js';

/**
 * Node timers. Timers are not `unref`ed: a pending SDK timer (keep-alive, retry) keeps the device
 * process alive, as it would keep a device busy.
 */
export class NodeTimers implements Timers {
  set(callback: () => void, delayMs: number): TimerHandle {
    return setTimeout(callback, Math.max(0, delayMs)) as unknown as TimerHandle;
  }

  repeat(callback: () => void, intervalMs: number): TimerHandle {
    return setInterval(callback, Math.max(1, intervalMs)) as unknown as TimerHandle;
  }

  clear(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    // clearTimeout also clears intervals in Node.
    clearTimeout(handle as unknown as NodeJS.Timeout);
  }
}
