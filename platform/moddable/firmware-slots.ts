/**
 * PAL FirmwareSlots on ESP32: the two app partitions of an OTA layout (ota_0 = slot A, ota_1 =
 * slot B, made by manifest.json's `ota.autosplit`), read and written through ECMA-419
 * `embedded:storage/flash`, and ESP-IDF's boot selection and app rollback through the manifest's FFI
 * (native/esp-idf.c; rollback needs CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE, set in sdkconfig/).
 *
 * Moddable's flash module finds partitions by label among *data* partitions only; app partitions are
 * reachable as "running" and "nextota" (esp_ota_get_next_update_partition: with two OTA slots, the
 * other one). So the slot that is not running opens as "nextota", the running one as "running".
 *
 * Why flash and not `embedded:update`: the PAL writes at offsets and resumes an interrupted download
 * where it stopped; `embedded:update` streams sequentially from an esp_ota_begin that erases the
 * whole partition. Boot selection (esp_ota_set_boot_partition) still validates the image.
 */
import FlashStorage from 'embedded:storage/flash';
import type { Flash } from 'embedded:storage/flash';
import FFI from 'mc/ffi';
import Preference from 'preference';
import type { BootState, FirmwareSlots, SlotName } from '../pal/index.js';
import { ArgumentError, SdkError } from '../../modules/util/errors.js';

/** esp_ota_img_states_t values. */
export const OtaImageState = { new: 0, pendingVerify: 1, valid: 2, invalid: 3, aborted: 4, undefined: -1 } as const;

const SLOT_INDEX: Record<SlotName, number> = { A: 0, B: 1 };
const BOOT_DOMAIN = 'mi.boot';
const PREVIOUS_KEY = 'previous';

export class FirmwareSlotError extends SdkError {
  constructor(readonly operation: string, readonly espError: number | undefined, detail: string) {
    super(`${operation} failed: ${detail}${espError === undefined ? '' : ` (esp_err_t 0x${(espError >>> 0).toString(16)})`}`);
  }
}

function slotName(index: number, what: string): SlotName {
  if (index === 0) return 'A';
  if (index === 1) return 'B';
  throw new FirmwareSlotError(what, undefined, `the app is not in ota_0/ota_1 (got ${index}); build with "ota": {"autosplit": 1}`);
}

export class ModdableFirmwareSlots implements FirmwareSlots {
  readonly #ffi: FFI;
  readonly #flash = new Map<SlotName, Flash>();
  readonly blockSize: number;
  readonly slotSize: number;

  constructor(options: { ffi?: FFI } = {}) {
    this.#ffi = options.ffi ?? new FFI();
    const a = this.#open('A').status();
    const b = this.#open('B').status();
    if (a.size !== b.size || a.blockLength !== b.blockLength) {
      throw new FirmwareSlotError('open slots', undefined, `the running (${a.size} B) and next OTA (${b.size} B) partitions differ`);
    }
    this.blockSize = a.blockLength;
    this.slotSize = a.size;
  }

  #open(slot: SlotName): Flash {
    let flash = this.#flash.get(slot);
    if (!flash) {
      flash = FlashStorage.open({ path: slot === this.#running() ? 'running' : 'nextota', mode: 'r+' });
      this.#flash.set(slot, flash);
    }
    return flash;
  }

  #checkRange(operation: string, offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.slotSize) {
      throw new ArgumentError(`${operation}: range ${offset}+${length} is outside the ${this.slotSize}-byte slot`);
    }
  }

  #checkNotRunning(operation: string, slot: SlotName): void {
    if (slot === this.#running()) throw new FirmwareSlotError(operation, undefined, `slot ${slot} holds the running image`);
  }

  #running(): SlotName {
    return slotName(this.#ffi.mi_ota_running_slot(), 'running slot');
  }

  async erase(slot: SlotName, offset: number, length: number): Promise<void> {
    this.#checkRange('erase', offset, length);
    if (offset % this.blockSize !== 0 || length % this.blockSize !== 0) {
      throw new ArgumentError(`erase: offset ${offset} and length ${length} must be multiples of the ${this.blockSize}-byte block`);
    }
    this.#checkNotRunning('erase', slot);
    if (length > 0) this.#open(slot).eraseBlock(offset / this.blockSize, (offset + length) / this.blockSize);
  }

  async write(slot: SlotName, offset: number, data: Uint8Array): Promise<void> {
    this.#checkRange('write', offset, data.byteLength);
    this.#checkNotRunning('write', slot);
    if (data.byteLength > 0) this.#open(slot).write(data, offset);
  }

  async read(slot: SlotName, offset: number, length: number): Promise<Uint8Array> {
    this.#checkRange('read', offset, length);
    return length === 0 ? new Uint8Array(0) : new Uint8Array(this.#open(slot).read(length, offset));
  }

  async bootState(): Promise<BootState> {
    const running = this.#running();
    const boot = this.#ffi.mi_ota_boot_slot();
    const previous = Preference.get(BOOT_DOMAIN, PREVIOUS_KEY);
    return {
      running,
      pendingVerify: this.#ffi.mi_ota_running_state() === OtaImageState.pendingVerify,
      previous: previous === 'A' || previous === 'B' ? previous : undefined,
      nextBoot: boot === -1 ? running : slotName(boot, 'boot slot'),
    };
  }

  async setNextBoot(slot: SlotName): Promise<void> {
    this.#checkNotRunning('setNextBoot', slot);
    const running = this.#running();
    const error = this.#ffi.mi_ota_set_boot_slot(SLOT_INDEX[slot]);
    if (error !== 0) throw new FirmwareSlotError(`setNextBoot(${slot})`, error, 'ESP-IDF refused the image (esp_ota_set_boot_partition validates header and hash)');
    Preference.set(BOOT_DOMAIN, PREVIOUS_KEY, running);
  }

  async markValid(): Promise<void> {
    const error = this.#ffi.mi_ota_mark_valid();
    if (error !== 0) throw new FirmwareSlotError('markValid', error, 'esp_ota_mark_app_valid_cancel_rollback');
  }

  /**
   * Marks the running, pending-verify image invalid and restarts into the previous one. ESP-IDF has
   * no mark-invalid-without-restart, so on the device this does not return: report first.
   */
  async rollback(): Promise<void> {
    if (this.#ffi.mi_ota_running_state() !== OtaImageState.pendingVerify) {
      throw new FirmwareSlotError('rollback', undefined, 'the running image is not pending verification');
    }
    const error = this.#ffi.mi_ota_rollback_and_reboot();
    throw new FirmwareSlotError('rollback', error, 'esp_ota_mark_app_invalid_rollback_and_reboot returned (no other valid image?)');
  }
}
