/** PAL SystemControl: esp_restart through the manifest's FFI, after the log line is out. */
import FFI from 'mc/ffi';
import type { Logger, SystemControl } from '../pal/index.js';

export class ModdableSystem implements SystemControl {
  readonly #ffi: FFI;
  readonly #log: Logger | undefined;

  constructor(options: { ffi?: FFI; log?: Logger } = {}) {
    this.#ffi = options.ffi ?? new FFI();
    this.#log = options.log;
  }

  reboot(reason: string): Promise<never> {
    this.#log?.log('warn', 'system', 'rebooting', { reason });
    this.#ffi.mi_restart();
    // esp_restart does not return on the device; a host fake that returns leaves this pending.
    return new Promise<never>(() => {});
  }
}
