/**
 * The lane's model of an ESP32 with an OTA partition layout and CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE:
 * two app partitions on NOR flash (erase to 0xFF, writes only clear bits), otadata with one image
 * state per slot, and the bootloader's choice at reset. `reset()` is a power cycle / esp_restart:
 * - the selected slot in state NEW boots and becomes PENDING_VERIFY;
 * - a slot still PENDING_VERIFY at reset (never marked valid) becomes ABORTED and the other valid
 *   slot boots (the rollback);
 * - `esp_ota_set_boot_partition` refuses an image without the ESP image magic byte 0xE9 (the real
 *   one also checks the header and the SHA-256 appended to the image).
 */
export const ImageState = { new: 0, pendingVerify: 1, valid: 2, invalid: 3, aborted: 4, undefined: -1 } as const;
type State = (typeof ImageState)[keyof typeof ImageState];

const ESP_OK = 0;
const ESP_FAIL = -1;
const ESP_ERR_OTA_VALIDATE_FAILED = 0x1503;
const ESP_ERR_OTA_ROLLBACK_INVALID_STATE = 0x1504;
export const ESP_IMAGE_MAGIC = 0xe9;

export class EspBootloaderModel {
  readonly blockLength = 4096;
  readonly partitionSize: number;
  readonly partitions: [Uint8Array, Uint8Array];
  states: [State, State] = [ImageState.valid, ImageState.undefined];
  running = 0;
  boot = 0;
  restarts = 0;
  /** Set when the app asked for a restart (esp_restart); cleared by reset(). */
  restartRequested = false;

  constructor(partitionSize = 64 * 1024) {
    this.partitionSize = partitionSize;
    this.partitions = [new Uint8Array(partitionSize).fill(0xff), new Uint8Array(partitionSize).fill(0xff)];
    this.partitions[0][0] = ESP_IMAGE_MAGIC;
  }

  setBootSlot(slot: number): number {
    if (slot !== 0 && slot !== 1) return ESP_FAIL;
    if (this.partitions[slot]![0] !== ESP_IMAGE_MAGIC) return ESP_ERR_OTA_VALIDATE_FAILED;
    this.boot = slot;
    if (slot !== this.running) this.states[slot] = ImageState.new;
    return ESP_OK;
  }

  markValid(): number {
    if (this.states[this.running] === ImageState.pendingVerify) this.states[this.running] = ImageState.valid;
    this.boot = this.running;
    return ESP_OK;
  }

  rollbackAndReboot(): number {
    const other = 1 - this.running;
    if (this.states[other] !== ImageState.valid) return ESP_ERR_OTA_ROLLBACK_INVALID_STATE;
    this.states[this.running] = ImageState.invalid;
    this.boot = other;
    this.restartRequested = true;
    return ESP_OK;
  }

  /** What the bootloader does at reset. */
  reset(): void {
    this.restarts += 1;
    this.restartRequested = false;
    let slot = this.boot;
    if (this.states[slot] === ImageState.pendingVerify) {
      this.states[slot] = ImageState.aborted; // reset before markValid: roll back
      slot = 1 - slot;
    } else if (this.states[slot] === ImageState.invalid || this.states[slot] === ImageState.aborted) {
      slot = 1 - slot;
    }
    if (this.states[slot] === ImageState.new) this.states[slot] = ImageState.pendingVerify;
    this.running = slot;
    this.boot = slot;
  }
}

export const device = { bootloader: new EspBootloaderModel() };

/** A fresh device (new flash, factory image in ota_0). */
export function resetDevice(partitionSize?: number): EspBootloaderModel {
  device.bootloader = new EspBootloaderModel(partitionSize);
  return device.bootloader;
}
