/**
 * Hardware random bytes (esp_fill_random through the manifest's FFI). The crypto shim
 * (tools/moddable-shims/crypto-global.js) and the PAL Random both draw from here. ESP-IDF documents
 * esp_fill_random as cryptographically secure while RF (Wi-Fi/BT) is on or the bootloader's entropy
 * source is enabled, which is how this SDK runs.
 */
import FFI from 'mc/ffi';

let ffi: FFI | undefined;

export function fillRandom(target: Uint8Array): void {
  ffi ??= new FFI();
  if (target.byteLength > 0) ffi.mi_fill_random(target.buffer, target.byteOffset, target.byteLength);
}
