/** One of the two firmware slots of an A/B layout (ESP-IDF's ota_0 / ota_1). */
export type SlotName = 'A' | 'B';

/**
 * Boot state as the boot loader sees it.
 * - `running`: the slot executing now.
 * - `pendingVerify`: the running image was booted for the first time after an update and has not been
 *   marked valid; a reset before `markValid()` boots `previous` again (roll back).
 * - `previous`: the slot that ran before the last switch, if any.
 */
export interface BootState {
  running: SlotName;
  pendingVerify: boolean;
  previous: SlotName | undefined;
  /** The slot chosen for the next boot (equals `running` unless `setNextBoot` was called). */
  nextBoot: SlotName;
}

/**
 * Flash partitions for firmware images. Offsets are bytes within a slot; `erase` works in whole
 * blocks of `blockSize` bytes; `write` may only be done on erased bytes (as on NOR flash).
 */
export interface FirmwareSlots {
  readonly blockSize: number;
  readonly slotSize: number;
  erase(slot: SlotName, offset: number, length: number): Promise<void>;
  write(slot: SlotName, offset: number, data: Uint8Array): Promise<void>;
  read(slot: SlotName, offset: number, length: number): Promise<Uint8Array>;
  bootState(): Promise<BootState>;
  /** Boot `slot` on the next reset, pending verification: it must call `markValid()` or it rolls back. */
  setNextBoot(slot: SlotName): Promise<void>;
  /** The running, pending-verify image is good: keep booting it. */
  markValid(): Promise<void>;
  /** Give up the running, pending-verify image: the next boot runs the previous slot. */
  rollback(): Promise<void>;
}
