/**
 * Key-value storage for small records (provisioning step, thing name, event counter, OTA progress).
 *
 * Atomicity contract: after a power loss at any instant, `get(key)` yields either the complete old
 * value or the complete new value of the last `set(key, …)`, never a mix or a truncation.
 * Keys are short ASCII names (`[A-Za-z0-9_.-]`, at most 15 bytes so they fit ESP32 NVS);
 * values are bytes (at most 4,000 bytes per value on ESP32 NVS).
 */
export interface KeyValueStorage {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Replaces the value atomically; resolves once it is durable. */
  set(key: string, value: Uint8Array): Promise<void>;
  /** Removes the key; resolves once the removal is durable. Removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
}
