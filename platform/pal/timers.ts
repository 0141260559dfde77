/** Opaque handle returned by `Timers.set`/`repeat` (a Node Timeout, a Moddable timer id). */
export interface TimerHandle {
  readonly __timerHandle?: never;
}

/** Timers (Moddable's `timer` module, Node's setTimeout). Callbacks must not throw. */
export interface Timers {
  set(callback: () => void, delayMs: number): TimerHandle;
  repeat(callback: () => void, intervalMs: number): TimerHandle;
  clear(handle: TimerHandle | undefined): void;
}
