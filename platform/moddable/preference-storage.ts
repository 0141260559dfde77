/**
 * KeyValueStorage over Moddable's `preference` module (ESP-IDF NVS on ESP32).
 *
 * Why a single-record write is atomic: NVS never overwrites an entry in place. `nvs_set_blob` writes
 * the new entry (with its CRC) into free space first and only then marks the old entry erased; at
 * mount, an entry with a bad CRC is dropped and, of two complete entries for one key, the older is
 * erased. A power loss at any instant therefore leaves the old or the new value of a key, never a mix.
 *
 * Values above what one preference holds (4,000 bytes on ESP32) are split into chunk records under
 * keys no other value uses (a fresh sequence number per write), and the value's own record — the
 * commit record, pointing at the chunks and carrying their CRC-32 — is written last. Until that
 * single atomic write the old commit record (and the old chunks it names) are untouched; after it,
 * the new ones are complete. Chunks nobody points to (an interrupted write, or an old value whose
 * clean-up was cut short) are deleted when the storage is opened.
 *
 * Layout for the default namespace 'mi.kv' (domains are at most 15 characters):
 *   mi.kv   / <key>          commit record: [0, value…] inline, or [1, seq u32, count u16, length u32, crc32 u32]
 *   mi.kvc  / <seq36>.<i36>  chunk i of the value written with sequence number seq
 *   mi.kvm  / seq            last sequence number handed out (u32), written before the chunks using it
 */
import Preference from 'preference';
import type { KeyValueStorage } from '../pal/index.js';
import { ArgumentError, LimitExceededError, SdkError } from '../../modules/util/errors.js';
import { crc32 } from './crc32.js';

const DEFAULT_NAMESPACE = 'mi.kv';
const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]{1,14}$/;
const SEQUENCE_KEY = 'seq';
/** What one NVS preference holds on ESP32. */
export const PREFERENCE_VALUE_MAX = 4000;
const INLINE = 0;
const CHUNKED = 1;
const COMMIT_RECORD_BYTES = 15;
const KEY_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/;

export interface PreferenceStorageOptions {
  /**
   * Preference domain of the commit records (default 'mi.kv'); chunks go to `<namespace>c`, the
   * sequence number to `<namespace>m`. Separate stores (the key store) use separate namespaces.
   */
  namespace?: string;
  /** Largest value accepted, in bytes (default 64 KiB; NVS space is the real bound). */
  maxValueBytes?: number;
  /** Chunk size (default 4,000: one NVS preference); smaller only to exercise chunking. */
  chunkBytes?: number;
}

/** A stored record does not decode: NVS corruption, or a value not written by this class. */
export class StorageCorruptError extends SdkError {
  constructor(readonly key: string, detail: string) {
    super(`stored value of '${key}' is corrupt: ${detail}`);
  }
}

interface ChunkRef {
  seq: number;
  count: number;
  length: number;
  crc: number;
}

function chunkKey(seq: number, index: number): string {
  return `${seq.toString(36)}.${index.toString(36)}`;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export class PreferenceStorage implements KeyValueStorage {
  readonly #maxValueBytes: number;
  readonly #chunkBytes: number;
  readonly #values: string;
  readonly #chunks: string;
  readonly #meta: string;

  constructor(options: PreferenceStorageOptions = {}) {
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    if (!NAMESPACE_PATTERN.test(namespace)) throw new ArgumentError(`namespace must be 1-14 characters of [A-Za-z0-9_.-], got ${JSON.stringify(namespace)}`);
    this.#values = namespace;
    this.#chunks = `${namespace}c`;
    this.#meta = `${namespace}m`;
    this.#maxValueBytes = options.maxValueBytes ?? 64 * 1024;
    this.#chunkBytes = options.chunkBytes ?? PREFERENCE_VALUE_MAX;
    if (this.#chunkBytes < 1 || this.#chunkBytes > PREFERENCE_VALUE_MAX) {
      throw new ArgumentError(`chunkBytes must be 1..${PREFERENCE_VALUE_MAX}, got ${this.#chunkBytes}`);
    }
    this.#sweepOrphanChunks();
  }

  static #checkKey(key: string): void {
    if (!KEY_PATTERN.test(key)) throw new ArgumentError(`storage key must be 1-15 characters of [A-Za-z0-9_.-], got ${JSON.stringify(key)}`);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    PreferenceStorage.#checkKey(key);
    const record = this.#readRecord(key);
    if (record === undefined) return undefined;
    if (record[0] === INLINE) return record.slice(1);
    const ref = this.#decodeRef(key, record);
    const value = new Uint8Array(ref.length);
    let offset = 0;
    for (let index = 0; index < ref.count; index++) {
      const chunk = Preference.get(this.#chunks, chunkKey(ref.seq, index));
      if (!(chunk instanceof ArrayBuffer)) throw new StorageCorruptError(key, `chunk ${index} of ${ref.count} is missing`);
      if (offset + chunk.byteLength > ref.length) throw new StorageCorruptError(key, `chunks exceed the recorded length ${ref.length}`);
      value.set(new Uint8Array(chunk), offset);
      offset += chunk.byteLength;
    }
    if (offset !== ref.length) throw new StorageCorruptError(key, `chunks hold ${offset} bytes, the record says ${ref.length}`);
    if (crc32(value) !== ref.crc) throw new StorageCorruptError(key, 'CRC-32 of the chunks does not match the record');
    return value;
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    PreferenceStorage.#checkKey(key);
    if (!(value instanceof Uint8Array)) throw new ArgumentError(`storage value must be a Uint8Array, got ${typeof value}`);
    if (value.byteLength > this.#maxValueBytes) throw new LimitExceededError(`storage value of '${key}'`, this.#maxValueBytes, value.byteLength);
    const previous = this.#chunkRefOf(key);
    if (value.byteLength + 1 <= this.#chunkBytes) {
      const record = new Uint8Array(value.byteLength + 1);
      record[0] = INLINE;
      record.set(value, 1);
      Preference.set(this.#values, key, toArrayBuffer(record)); // the atomic switch
    } else {
      const seq = this.#nextSequence();
      const count = Math.ceil(value.byteLength / this.#chunkBytes);
      for (let index = 0; index < count; index++) {
        const start = index * this.#chunkBytes;
        Preference.set(this.#chunks, chunkKey(seq, index), toArrayBuffer(value.subarray(start, start + this.#chunkBytes)));
      }
      Preference.set(this.#values, key, toArrayBuffer(this.#encodeRef({ seq, count, length: value.byteLength, crc: crc32(value) }))); // the atomic switch
    }
    if (previous) this.#deleteChunks(previous);
  }

  async delete(key: string): Promise<void> {
    PreferenceStorage.#checkKey(key);
    const previous = this.#chunkRefOf(key);
    if (this.#readRecord(key) !== undefined) Preference.delete(this.#values, key); // the atomic switch
    if (previous) this.#deleteChunks(previous);
  }

  async keys(): Promise<string[]> {
    return Preference.keys(this.#values).slice().sort();
  }

  #readRecord(key: string): Uint8Array | undefined {
    const stored = Preference.get(this.#values, key);
    if (stored === undefined) return undefined;
    if (!(stored instanceof ArrayBuffer) || stored.byteLength === 0) throw new StorageCorruptError(key, 'record is not a non-empty ArrayBuffer');
    const record = new Uint8Array(stored);
    if (record[0] !== INLINE && record[0] !== CHUNKED) throw new StorageCorruptError(key, `unknown record kind ${record[0]}`);
    return record;
  }

  #chunkRefOf(key: string): ChunkRef | undefined {
    let record: Uint8Array | undefined;
    try {
      record = this.#readRecord(key);
    } catch {
      return undefined; // a corrupt record is replaced; its chunks are swept at the next open
    }
    return record?.[0] === CHUNKED ? this.#decodeRef(key, record) : undefined;
  }

  #encodeRef(ref: ChunkRef): Uint8Array {
    const record = new Uint8Array(COMMIT_RECORD_BYTES);
    const view = new DataView(record.buffer);
    record[0] = CHUNKED;
    view.setUint32(1, ref.seq);
    view.setUint16(5, ref.count);
    view.setUint32(7, ref.length);
    view.setUint32(11, ref.crc);
    return record;
  }

  #decodeRef(key: string, record: Uint8Array): ChunkRef {
    if (record.byteLength !== COMMIT_RECORD_BYTES) throw new StorageCorruptError(key, `commit record is ${record.byteLength} bytes, expected ${COMMIT_RECORD_BYTES}`);
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    return { seq: view.getUint32(1), count: view.getUint16(5), length: view.getUint32(7), crc: view.getUint32(11) };
  }

  /** Hands out a sequence number no chunk key has used; persisted before any chunk uses it. */
  #nextSequence(): number {
    const stored = Preference.get(this.#meta, SEQUENCE_KEY);
    const last = stored instanceof ArrayBuffer && stored.byteLength === 4 ? new DataView(stored).getUint32(0) : 0;
    const next = (last + 1) >>> 0 || 1;
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, next);
    Preference.set(this.#meta, SEQUENCE_KEY, bytes.buffer);
    return next;
  }

  #deleteChunks(ref: ChunkRef): void {
    for (let index = 0; index < ref.count; index++) Preference.delete(this.#chunks, chunkKey(ref.seq, index));
  }

  /** Deletes chunk records no commit record points to (left by a write or clean-up cut short). */
  #sweepOrphanChunks(): void {
    const live = new Set<number>();
    for (const key of Preference.keys(this.#values)) {
      const ref = this.#chunkRefOf(key);
      if (ref) live.add(ref.seq);
    }
    for (const key of Preference.keys(this.#chunks)) {
      const seq = Number.parseInt(key.slice(0, key.indexOf('.')), 36);
      if (!live.has(seq)) Preference.delete(this.#chunks, key);
    }
  }
}
