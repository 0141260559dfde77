/**
 * KeyValueStorage over Moddable's `preference` module (ESP-IDF NVS on ESP32), atomic per value.
 *
 * Why not simply `Preference.set(domain, key, value)`: NVS writes one entry atomically (a new entry
 * carries a CRC; a torn one is dropped at mount), but Moddable's ESP32 `preference.set` first ERASES
 * the key and then writes it (modPreference.c, a workaround for an ESP-IDF type-change bug). A power
 * cut between the two leaves the key with no value at all. So this class never overwrites a
 * preference: every write goes to preference keys that have never been used, and the newest complete
 * record wins.
 *
 * Records (preference keys are base-36 sequence numbers, never reused):
 *   <seq>        head: [version, kind, keyLength, key…, length u32, crc32 u32, chunks u16, inline data…]
 *   <seq>.<i>    chunk i (1-based) of a value too large to sit inline in its head (one preference
 *                holds at most 4,000 bytes on ESP32)
 * kind: 1 value, 2 tombstone (a deletion in progress).
 *
 * set(key): write the chunks, then the head (the single atomic write that makes the new value
 * visible), then delete the previous records of the key (head first, then its chunks).
 * delete(key): write a tombstone head, delete the key's records, delete the tombstone.
 * Opening scans the domain: per key the head with the highest sequence number wins (a tombstone wins
 * as "absent"); older heads, orphan chunks (of a head never written) and finished tombstones are
 * deleted. Power lost at any instant therefore leaves the old or the new value, never neither.
 *
 * Needs `Preference.keys(domain)` (NVS iteration; the Moddable SDK's ESP32 port has it since its
 * ESP-IDF 5 update).
 */
import Preference from 'preference';
import type { KeyValueStorage } from '../pal/index.js';
import { ArgumentError, LimitExceededError, SdkError } from '../../modules/util/errors.js';
import { crc32 } from './crc32.js';

/** What one NVS preference holds on ESP32. */
export const PREFERENCE_VALUE_MAX = 4000;
const DEFAULT_NAMESPACE = 'mi.kv';
const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/;
const KEY_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/;
const RECORD_PATTERN = /^([0-9a-z]{1,7})(?:\.([0-9a-z]{1,4}))?$/;
const VERSION = 1;
const KIND_VALUE = 1;
const KIND_TOMBSTONE = 2;
const FIXED_HEAD_BYTES = 3 + 4 + 4 + 2; // version, kind, keyLength + length + crc + chunks (+ key bytes)

export interface PreferenceStorageOptions {
  /** Preference domain of this store (default 'mi.kv'); separate stores (the key store) use their own. */
  namespace?: string;
  /** Largest value accepted, in bytes (default 64 KiB; NVS space is the real bound). */
  maxValueBytes?: number;
  /** Bytes per preference record (default 4,000: one NVS blob); smaller only to exercise chunking. */
  recordBytes?: number;
}

/** A stored record does not decode: NVS corruption, or a record not written by this class. */
export class StorageCorruptError extends SdkError {
  constructor(readonly key: string, detail: string) {
    super(`stored value of '${key}' is corrupt: ${detail}`);
  }
}

interface Head {
  seq: number;
  kind: number;
  key: string;
  length: number;
  crc: number;
  chunks: number;
  inline: Uint8Array;
}

function recordName(seq: number, chunk?: number): string {
  return chunk === undefined ? seq.toString(36) : `${seq.toString(36)}.${chunk.toString(36)}`;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export class PreferenceStorage implements KeyValueStorage {
  readonly #domain: string;
  readonly #maxValueBytes: number;
  readonly #recordBytes: number;
  /** The winning head of every live key. */
  readonly #index = new Map<string, Head>();
  #nextSeq = 1;

  constructor(options: PreferenceStorageOptions = {}) {
    this.#domain = options.namespace ?? DEFAULT_NAMESPACE;
    if (!NAMESPACE_PATTERN.test(this.#domain)) throw new ArgumentError(`namespace must be 1-15 characters of [A-Za-z0-9_.-], got ${JSON.stringify(this.#domain)}`);
    this.#maxValueBytes = options.maxValueBytes ?? 64 * 1024;
    this.#recordBytes = options.recordBytes ?? PREFERENCE_VALUE_MAX;
    if (this.#recordBytes < FIXED_HEAD_BYTES + 16 || this.#recordBytes > PREFERENCE_VALUE_MAX) {
      throw new ArgumentError(`recordBytes must be ${FIXED_HEAD_BYTES + 16}..${PREFERENCE_VALUE_MAX}, got ${this.#recordBytes}`);
    }
    this.#recover();
  }

  static #checkKey(key: string): void {
    if (!KEY_PATTERN.test(key)) throw new ArgumentError(`storage key must be 1-15 characters of [A-Za-z0-9_.-], got ${JSON.stringify(key)}`);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    PreferenceStorage.#checkKey(key);
    const head = this.#index.get(key);
    if (!head) return undefined;
    const value = new Uint8Array(head.length);
    value.set(head.inline);
    let offset = head.inline.length;
    for (let chunk = 1; chunk <= head.chunks; chunk++) {
      const stored = Preference.get(this.#domain, recordName(head.seq, chunk));
      if (!(stored instanceof ArrayBuffer)) throw new StorageCorruptError(key, `chunk ${chunk} of ${head.chunks} is missing`);
      if (offset + stored.byteLength > head.length) throw new StorageCorruptError(key, `chunks exceed the recorded length ${head.length}`);
      value.set(new Uint8Array(stored), offset);
      offset += stored.byteLength;
    }
    if (offset !== head.length) throw new StorageCorruptError(key, `records hold ${offset} bytes, the head says ${head.length}`);
    if (crc32(value) !== head.crc) throw new StorageCorruptError(key, 'CRC-32 does not match the head');
    return value;
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    PreferenceStorage.#checkKey(key);
    if (!(value instanceof Uint8Array)) throw new ArgumentError(`storage value must be a Uint8Array, got ${typeof value}`);
    if (value.byteLength > this.#maxValueBytes) throw new LimitExceededError(`storage value of '${key}'`, this.#maxValueBytes, value.byteLength);
    const seq = this.#nextSeq++;
    const keyBytes = this.#keyBytes(key);
    const inlineRoom = this.#recordBytes - FIXED_HEAD_BYTES - keyBytes.length;
    const inlineLength = value.byteLength <= inlineRoom ? value.byteLength : 0;
    const rest = value.subarray(inlineLength);
    const chunks = Math.ceil(rest.byteLength / this.#recordBytes);
    for (let chunk = 1; chunk <= chunks; chunk++) {
      const start = (chunk - 1) * this.#recordBytes;
      Preference.set(this.#domain, recordName(seq, chunk), toArrayBuffer(rest.subarray(start, start + this.#recordBytes)));
    }
    const head: Head = { seq, kind: KIND_VALUE, key, length: value.byteLength, crc: crc32(value), chunks, inline: value.slice(0, inlineLength) };
    Preference.set(this.#domain, recordName(seq), toArrayBuffer(this.#encodeHead(head, keyBytes))); // the commit point
    const previous = this.#index.get(key);
    this.#index.set(key, head);
    if (previous) this.#deleteRecords(previous);
  }

  async delete(key: string): Promise<void> {
    PreferenceStorage.#checkKey(key);
    const previous = this.#index.get(key);
    if (!previous) return;
    const tombstone: Head = { seq: this.#nextSeq++, kind: KIND_TOMBSTONE, key, length: 0, crc: 0, chunks: 0, inline: new Uint8Array(0) };
    Preference.set(this.#domain, recordName(tombstone.seq), toArrayBuffer(this.#encodeHead(tombstone, this.#keyBytes(key)))); // the commit point
    this.#index.delete(key);
    this.#deleteRecords(previous);
    Preference.delete(this.#domain, recordName(tombstone.seq));
  }

  async keys(): Promise<string[]> {
    return [...this.#index.keys()].sort();
  }

  #keyBytes(key: string): Uint8Array {
    const bytes = new Uint8Array(key.length);
    for (let i = 0; i < key.length; i++) bytes[i] = key.charCodeAt(i); // keys are ASCII ([A-Za-z0-9_.-])
    return bytes;
  }

  #encodeHead(head: Head, keyBytes: Uint8Array): Uint8Array {
    const bytes = new Uint8Array(FIXED_HEAD_BYTES + keyBytes.length + head.inline.length);
    const view = new DataView(bytes.buffer);
    bytes[0] = VERSION;
    bytes[1] = head.kind;
    bytes[2] = keyBytes.length;
    bytes.set(keyBytes, 3);
    let at = 3 + keyBytes.length;
    view.setUint32(at, head.length);
    view.setUint32(at + 4, head.crc);
    view.setUint16(at + 8, head.chunks);
    at += 10;
    bytes.set(head.inline, at);
    return bytes;
  }

  #decodeHead(seq: number, stored: unknown): Head | undefined {
    if (!(stored instanceof ArrayBuffer) || stored.byteLength < FIXED_HEAD_BYTES) return undefined;
    const bytes = new Uint8Array(stored);
    const view = new DataView(stored);
    const keyLength = bytes[2]!;
    if (bytes[0] !== VERSION || (bytes[1] !== KIND_VALUE && bytes[1] !== KIND_TOMBSTONE) || keyLength < 1 || keyLength > 15) return undefined;
    if (stored.byteLength < FIXED_HEAD_BYTES + keyLength) return undefined;
    let key = '';
    for (let i = 0; i < keyLength; i++) key += String.fromCharCode(bytes[3 + i]!);
    const at = 3 + keyLength;
    return { seq, kind: bytes[1]!, key, length: view.getUint32(at), crc: view.getUint32(at + 4), chunks: view.getUint16(at + 8), inline: bytes.slice(at + 10) };
  }

  /** Deletes a head first (the value stops existing), then its chunks. */
  #deleteRecords(head: Head): void {
    Preference.delete(this.#domain, recordName(head.seq));
    for (let chunk = 1; chunk <= head.chunks; chunk++) Preference.delete(this.#domain, recordName(head.seq, chunk));
  }

  /** Rebuilds the index from NVS and removes what an interrupted write or delete left behind. */
  #recover(): void {
    const heads: Head[] = [];
    const chunkNames: { name: string; seq: number }[] = [];
    let maxSeq = 0;
    for (const name of Preference.keys(this.#domain)) {
      const match = RECORD_PATTERN.exec(name);
      if (!match) continue; // not ours
      const seq = Number.parseInt(match[1]!, 36);
      maxSeq = Math.max(maxSeq, seq);
      if (match[2] !== undefined) {
        chunkNames.push({ name, seq });
        continue;
      }
      const head = this.#decodeHead(seq, Preference.get(this.#domain, name));
      if (head) heads.push(head);
      else Preference.delete(this.#domain, name); // unreadable head: its write never completed a valid record
    }
    this.#nextSeq = maxSeq + 1;
    heads.sort((a, b) => b.seq - a.seq);
    const winners = new Map<string, Head>();
    for (const head of heads) {
      if (!winners.has(head.key)) winners.set(head.key, head);
      else this.#deleteRecords(head); // superseded
    }
    const liveSeqs = new Set<number>();
    for (const [key, head] of winners) {
      if (head.kind === KIND_TOMBSTONE) {
        Preference.delete(this.#domain, recordName(head.seq)); // the deletion it stood for is complete now
        continue;
      }
      this.#index.set(key, head);
      liveSeqs.add(head.seq);
    }
    for (const { name, seq } of chunkNames) if (!liveSeqs.has(seq)) Preference.delete(this.#domain, name);
  }
}
