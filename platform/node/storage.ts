import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyValueStorage } from '../pal/index.js';
import { ArgumentError, LimitExceededError } from '../../modules/util/errors.js';
import { isTempFileName, syncDirectory, writeFileAtomic } from './atomic-file.js';

/** ESP32 NVS limits, enforced here too so code that works on Node fits on the device. */
export const MAX_KEY_BYTES = 15;
export const MAX_VALUE_BYTES = 4000;
/** A leading dot is reserved for temp files. */
const KEY_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,14}$/;

/**
 * Key-value storage as one file per key in `directory`, each replaced atomically (temp file, fsync,
 * rename, fsync directory) with mode 0600. Writes to one key are serialised so the last `set` wins.
 */
export class NodeFileStorage implements KeyValueStorage {
  readonly directory: string;
  #chains = new Map<string, Promise<unknown>>();

  constructor(directory: string) {
    this.directory = directory;
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    // Temp files left by a crash mid-write hold neither value we promised; drop them.
    for (const name of readdirSync(directory)) {
      if (isTempFileName(name)) {
        try {
          unlinkSync(join(directory, name));
        } catch {
          /* a concurrent cleaner got it */
        }
      }
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    try {
      const data = await readFile(join(this.directory, key));
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  set(key: string, value: Uint8Array): Promise<void> {
    checkKey(key);
    if (!(value instanceof Uint8Array)) throw new ArgumentError(`expected a Uint8Array value for "${key}", got ${typeof value}`);
    if (value.byteLength > MAX_VALUE_BYTES) throw new LimitExceededError('storage value bytes', MAX_VALUE_BYTES, value.byteLength);
    const copy = value.slice();
    return this.#serialise(key, () => writeFileAtomic(join(this.directory, key), copy, 0o600));
  }

  delete(key: string): Promise<void> {
    checkKey(key);
    return this.#serialise(key, async () => {
      try {
        await unlink(join(this.directory, key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      await syncDirectory(this.directory);
    });
  }

  async keys(): Promise<string[]> {
    const names = await readdir(this.directory);
    return names.filter((name) => !isTempFileName(name) && KEY_PATTERN.test(name)).sort();
  }

  #serialise(key: string, operation: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    this.#chains.set(key, next);
    const cleanup = () => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    };
    next.then(cleanup, cleanup);
    return next;
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new ArgumentError(`expected a storage key of 1-${MAX_KEY_BYTES} characters [A-Za-z0-9_.-], not starting with ".", got ${JSON.stringify(key)}`);
  }
}
