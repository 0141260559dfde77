/**
 * Wall clock and monotonic clock. A device's wall clock is wrong until SNTP (or the cloud) sets it,
 * so it says whether it is synchronised; timeouts and backoff use the monotonic clock only.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch; meaningful only when `synchronized` is true. */
  now(): number;
  readonly synchronized: boolean;
  /** Sets the wall clock (from SNTP or a trusted server time) and marks it synchronised. */
  set(epochMs: number): void;
  /** Milliseconds from an arbitrary origin; never goes backwards. */
  monotonic(): number;
}
