/** PAL Timers over Moddable's `timer` module (timer ids are opaque host objects or numbers). */
import Timer from 'timer';
import type { TimerHandle, Timers } from '../pal/index.js';

export const moddableTimers: Timers = {
  set(callback, delayMs) {
    return Timer.set(() => callback(), Math.max(0, delayMs)) as unknown as TimerHandle;
  },
  repeat(callback, intervalMs) {
    return Timer.repeat(() => callback(), Math.max(1, intervalMs)) as unknown as TimerHandle;
  },
  clear(handle) {
    if (handle !== undefined) Timer.clear(handle as unknown as Parameters<typeof Timer.clear>[0]);
  },
};
