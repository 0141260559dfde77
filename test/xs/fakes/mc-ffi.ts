/** Lane fake of the manifest's FFI functions (platform/moddable/native/esp-idf.c) over ./esp-bootloader.ts. */
import { device } from './esp-bootloader.js';
import { laneRandom } from '../lane-random.js';

export default class FFI {
  mi_ota_running_slot(): number {
    return device.bootloader.running;
  }
  mi_ota_boot_slot(): number {
    return device.bootloader.boot;
  }
  mi_ota_running_state(): number {
    return device.bootloader.states[device.bootloader.running];
  }
  mi_ota_set_boot_slot(slot: number): number {
    return device.bootloader.setBootSlot(slot);
  }
  mi_ota_mark_valid(): number {
    return device.bootloader.markValid();
  }
  mi_ota_rollback_and_reboot(): number {
    return device.bootloader.rollbackAndReboot();
  }
  mi_restart(): void {
    device.bootloader.restartRequested = true;
  }
  mi_fill_random(buffer: ArrayBufferLike, offset: number, length: number): void {
    laneRandom.fill(new Uint8Array(buffer, offset, length));
  }
}
