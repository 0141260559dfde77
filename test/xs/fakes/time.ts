/**
 * Lane fake of Moddable's `time`: `ticks` is the virtual clock; `set(seconds)` records the wall time
 * (the lane cannot move XS's Date, so the fake reports what was set through `timeFake`).
 */
import { virtualTime } from '../virtual-time.js';

export const timeFake = { setSeconds: undefined as number | undefined };

const Time = {
  set(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new RangeError('invalid time');
    timeFake.setSeconds = seconds;
  },
  get ticks(): number {
    return virtualTime.now;
  },
  timezone: 0,
  dst: 0,
};

export default Time;
