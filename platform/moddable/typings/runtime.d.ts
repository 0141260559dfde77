// Minimal declarations of Moddable SDK runtime modules (timer, time, sntp, text, mc/config, mc/ffi)
// and of this SDK's FFI functions (platform/moddable/native/esp-idf.c, declared in manifest.json).

declare module 'timer' {
  export type TimerId = object | number;
  const Timer: {
    set(callback: (id: TimerId) => void, delayMs?: number, repeatMs?: number): TimerId;
    repeat(callback: (id: TimerId) => void, intervalMs: number): TimerId;
    clear(id: TimerId | undefined): void;
  };
  export default Timer;
}

declare module 'time' {
  const Time: {
    /** Sets the wall clock, in seconds since the epoch. */
    set(seconds: number): void;
    /** Milliseconds from an arbitrary origin, monotonic. */
    readonly ticks: number;
    timezone: number;
    dst: number;
  };
  export default Time;
}

declare module 'sntp' {
  /**
   * Callback messages: 1 = time (value: seconds since the epoch; the socket then closes itself),
   * 2 = retrying, -1 = failed (value: a reason; return another host name to try it, or nothing to close).
   */
  export default class SNTP {
    constructor(options: { host: string }, callback: (message: number, value?: number | string) => string | void);
    close(): void;
  }
}

declare module 'text/encoder' {
  export default class TextEncoder {
    encode(text: string): Uint8Array;
  }
}

declare module 'text/decoder' {
  export default class TextDecoder {
    constructor(label?: string, options?: { fatal?: boolean });
    decode(bytes: ArrayBuffer | ArrayBufferView): string;
  }
}

declare module 'mc/config' {
  const config: Record<string, unknown>;
  export default config;
}

declare module 'mc/ffi' {
  /** The C functions named in manifest.json "ffi.functions" (native/esp-idf.c). */
  export default class FFI {
    /** esp_ota_get_running_partition: 0 for ota_0, 1 for ota_1, -1 when running from factory. */
    mi_ota_running_slot(): number;
    /** esp_ota_get_boot_partition: the slot the next reset boots (0/1), -1 for factory. */
    mi_ota_boot_slot(): number;
    /** esp_ota_get_state_partition of the running image as esp_ota_img_states_t, or -1. */
    mi_ota_running_state(): number;
    /** esp_ota_set_boot_partition for ota_<slot>; esp_err_t (0 = ESP_OK). */
    mi_ota_set_boot_slot(slot: number): number;
    /** esp_ota_mark_app_valid_cancel_rollback; esp_err_t. */
    mi_ota_mark_valid(): number;
    /** esp_ota_mark_app_invalid_rollback_and_reboot; returns only on failure (esp_err_t). */
    mi_ota_rollback_and_reboot(): number;
    /** esp_restart. */
    mi_restart(): void;
    /** esp_fill_random into buffer[offset, offset + length). */
    mi_fill_random(buffer: ArrayBufferLike, offset: number, length: number): void;
  }
}

declare module 'Resource' {
  /** A read-only buffer in flash holding a file named in the manifest's "data"/"resources". */
  export default class Resource extends ArrayBuffer {
    constructor(name: string);
    static exists(name: string): boolean;
  }
}

declare module 'mi/build-info' {
  /** Written by `npm run build:moddable` (build/moddable/build-info.js), preloaded into flash. */
  const buildInfo: { readonly sdkVersion: string; readonly app: string; readonly builtAt: string; readonly bundleBytes: number };
  export default buildInfo;
}

declare module 'crypt' {
  /** Moddable's native digests (modules/crypt/digest): on ESP32 the SHA-256 behind it is in C. */
  export class Digest {
    constructor(type: 'MD5' | 'SHA1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512');
    write(message: string | ArrayBuffer): void;
    /** The digest; the object cannot be written afterwards (until `reset()`). */
    close(): ArrayBuffer;
    reset(): void;
    readonly outputSize: number;
  }
}
