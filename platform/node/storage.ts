import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyValueStorage } from '../pal/index.js';
import { ArgumentError, LimitExceededError } from '../../modules/util/errors.js';
import { isTempFileName, syncDirectory, writeFileAtomic, writeFileAtomicSync } from './atomic-file.js';

/** ESP32 NVS limits, enforced here too so code that works on Node fits on the device. */
export const MAX_KEY_BYTES = 15;
export const MAX_VALUE_BYTES = 4000;
/** A leading dot is reserved for temp files. */
const KEY_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,14}$/;

export type StorageDurability = 'power' | 'process';

export interface NodeFileStorageOptions {
  /**
   * What a resolved `set`/`delete` survives; every value is replaced atomically either way.
   * - `power` (default): temp file, fsync, rename, fsync of the directory: survives a host power loss.
   * - `process`: the same without the fsyncs, in synchronous calls, and a value of the same length as
   *   the stored one is overwritten in place in one write (values fit one 4 KiB page, which a single
   *   write() replaces whole or not at all when a process dies). Survives the process dying at any
   *   instant (crash, SIGKILL, `reboot()`), which is how the Node host models a power cut, like
   *   `NodeFirmwareSlots`' default; a host power loss may lose recent writes. Microseconds instead
   *   of milliseconds per write: what the OTA agent's per-block progress record costs.
   */
  durability?: StorageDurability;
}

/**
 * Key-value storage as one file per key in `directory`, each replaced atomically (see
 * `durability`) with mode 0600. Writes to one key are serialised so the last `set` wins.
 */
export class NodeFileStorage implements KeyValueStorage {
  readonly directory: string;
  readonly durability: StorageDurability;
  #chains = new Map<string, Promise<unknown>>();

  constructor(directory: string, options: NodeFileStorageOptions = {}) {
    this.directory = directory;
    this.durability = options.durability ?? 'power';
    if (this.durability !== 'power' && this.durability !== 'process') {
      throw new ArgumentError(`expected durability "power" or "process", got ${JSON.stringify(this.durability)}`);
    }
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
      // Synchronous in `process` mode, so a read never overlaps an in-place write of the same file.
      const data = this.durability === 'process' ? readFileSync(join(this.directory, key)) : await readFile(join(this.directory, key));
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
    if (this.durability === 'process') return this.#serialise(key, async () => writeWithoutSync(join(this.directory, key), copy));
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
      if (this.durability === 'power') await syncDirectory(this.directory);
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

/** `process` durability: in place when the length is unchanged, else a temp file renamed over it. */
function writeWithoutSync(path: string, value: Uint8Array): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (fd !== undefined) {
    try {
      // One write() of at most 4,000 bytes at offset 0 stays within the file's first page.
      if (fstatSync(fd).size === value.byteLength && writeSync(fd, value, 0, value.byteLength, 0) === value.byteLength) return;
    } finally {
      closeSync(fd);
    }
  }
  writeFileAtomicSync(path, value, 0o600, { sync: false });
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new ArgumentError(`expected a storage key of 1-${MAX_KEY_BYTES} characters [A-Za-z0-9_.-], not starting with ".", got ${JSON.stringify(key)}`);
  }
}
