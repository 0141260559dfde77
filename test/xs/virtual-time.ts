/**
 * The lane's clock and timer queue. XS in xsnap has no setTimeout, so time is virtual: it stands still
 * while a scenario runs and jumps to the next due timer when the driver (run.mjs) sends `advance`
 * because the scenario is waiting. A 30-second timeout therefore costs nothing in wall time, and
 * every run fires timers in the same order.
 */
interface VirtualTimer {
  id: number;
  due: number;
  interval: number | undefined;
  callback: () => void;
}

export class VirtualTime {
  #now = 0;
  #nextId = 1;
  #timers = new Map<number, VirtualTimer>();
  /** Wall-clock origin the lane's `Date`-like clock reports (2026-01-01T00:00:00Z). */
  readonly epochOrigin = 1_767_225_600_000;

  /** Milliseconds of virtual time since the worker started. */
  get now(): number {
    return this.#now;
  }

  set(callback: () => void, delayMs: number, intervalMs?: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { id, due: this.#now + Math.max(0, delayMs), interval: intervalMs, callback });
    return id;
  }

  clear(id: number | undefined): void {
    if (id !== undefined) this.#timers.delete(id);
  }

  /** When the earliest pending timer is due, or undefined when none is pending. */
  get nextDue(): number | undefined {
    let due: number | undefined;
    for (const timer of this.#timers.values()) if (due === undefined || timer.due < due) due = timer.due;
    return due;
  }

  get pendingCount(): number {
    return this.#timers.size;
  }

  /**
   * Moves time to the earliest due timer and fires every timer due at that instant, in order of due
   * time then creation. Returns false when no timer is pending.
   */
  advance(): boolean {
    const due = this.nextDue;
    if (due === undefined) return false;
    this.#now = due;
    const ready = [...this.#timers.values()].filter((timer) => timer.due <= due).sort((a, b) => a.due - b.due || a.id - b.id);
    for (const timer of ready) {
      if (!this.#timers.has(timer.id)) continue; // cleared by an earlier callback of this batch
      if (timer.interval === undefined) this.#timers.delete(timer.id);
      else timer.due = due + Math.max(1, timer.interval);
      timer.callback();
    }
    return true;
  }

  /** Moves time forward by `ms`, firing everything due on the way (for scenarios that poll). */
  advanceBy(ms: number): void {
    const target = this.#now + ms;
    for (let due = this.nextDue; due !== undefined && due <= target; due = this.nextDue) this.advance();
    this.#now = target;
  }
}

/** The one virtual clock of a worker, shared by the harness, the lane platform and the Moddable fakes. */
export const virtualTime = new VirtualTime();
