// Minimal declarations of the Moddable SDK storage modules this platform uses, written from the
// Moddable documentation (documentation/files/preference.md, documentation/io/flash.md, update).
// Only what platform/moddable calls is declared.

declare module 'preference' {
  /** NVS-backed on ESP32: domain and key at most 15 characters, values at most 4,000 bytes. */
  type PreferenceValue = boolean | number | string | ArrayBuffer;
  const Preference: {
    set(domain: string, key: string, value: PreferenceValue): void;
    get(domain: string, key: string): PreferenceValue | undefined;
    delete(domain: string, key: string): void;
    keys(domain: string): string[];
  };
  export default Preference;
}

declare module 'embedded:storage/flash' {
  export interface FlashStatus {
    size: number;
    blockLength: number;
    blocks: number;
    writeAlign: number;
    eraseValue: number;
  }
  export interface Flash {
    close(): void;
    /** Erases blocks `start` up to (not including) `end`. */
    eraseBlock(start: number, end?: number): void;
    read(byteLength: number, byteOffset: number): ArrayBuffer;
    write(buffer: ArrayBuffer | ArrayBufferView, byteOffset: number): void;
    status(): FlashStatus;
  }
  const FlashStorage: {
    /** `path` is a partition label ("ota_0", "ota_1"), or "running" / "nextota". */
    open(options: { path: string; mode?: 'r' | 'r+' }): Flash;
    [Symbol.iterator](): IterableIterator<string>;
  };
  export default FlashStorage;
}

declare module 'embedded:update' {
  import type { Flash } from 'embedded:storage/flash';
  export interface Updater {
    write(bytes: ArrayBuffer | ArrayBufferView, byteOffset?: number): void;
    complete(): void;
    close(): void;
  }
  const Update: {
    open(options: { partition: Flash; mode?: 'a' | 'w'; byteLength?: number }): Updater;
  };
  export default Update;
}
