/** Lane fake of Moddable's `timer` over the lane's virtual clock (test/xs/virtual-time.ts). */
import { virtualTime } from '../virtual-time.js';

type Callback = (id: number) => void;

const Timer = {
  set(callback: Callback, delayMs = 0, repeatMs?: number): number {
    const id: number = virtualTime.set(() => callback(id), delayMs, repeatMs);
    return id;
  },
  repeat(callback: Callback, intervalMs: number): number {
    const id: number = virtualTime.set(() => callback(id), intervalMs, intervalMs);
    return id;
  },
  clear(id: number | undefined): void {
    virtualTime.clear(id);
  },
  delay(): void {
    throw new Error('Timer.delay blocks the device; the lane does not model it');
  },
};

export default Timer;
