/**
 * A portable key store backend over KeyValueStorage, for platforms without a secure element or a
 * native crypto store (the XS lane, ESP32 with keys in NVS, tests). EC P-256 keys are generated and
 * used here with @noble/curves; RSA-2048 keys made elsewhere can be stored and handed to the platform
 * transport (Moddable's TLS signs with them), but this backend cannot sign with them.
 *
 * No global `crypto` is touched: key generation draws from the platform's Random and reduces it into
 * [1, n-1] (FIPS 186-5 A.2.1 style, via noble's mapHashToField), and signing uses RFC 6979 deterministic
 * nonces, so noble never calls its own randomBytes.
 *
 * Records live in storage under `k<class><12 hex of SHA-256(label)>` (14 bytes, within NVS's 15):
 *   'K' 1 | class | keyType | labelLength | label UTF-8 | id (32) | value DER
 */
import { p256 } from '@noble/curves/nist.js';
import { mapHashToField } from '@noble/curves/abstract/modular';
import { sha256 } from '@noble/hashes/sha2';
import type { KeyStoreBackend, KeyType, KeyValueStorage, ObjectClass, Random, SignMechanism, StoredObject, TextCodec } from '../../platform/pal/index.js';
import { encodeHex } from '../codec/hex.js';
import { InvalidKeyDataError, MechanismMismatchError, ObjectNotFoundError, PrivateKeyAccessError, UnsupportedKeyTypeError, checkLabel } from './errors.js';
import { keyIdOf, p256Pkcs8, p256ScalarOfPkcs8, p256Spki, parsePkcs8 } from './key-formats.js';

const CLASS_CODE: Record<ObjectClass, number> = { certificate: 0x63 /* c */, 'private-key': 0x70 /* p */, 'public-key': 0x75 /* u */ };
const CODE_CLASS = new Map<number, ObjectClass>(Object.entries(CLASS_CODE).map(([k, v]) => [v, k as ObjectClass]));
const KEY_TYPE_CODE: Record<KeyType, number> = { 'EC-P256': 1, 'RSA-2048': 2 };
const CODE_KEY_TYPE = new Map<number, KeyType>(Object.entries(KEY_TYPE_CODE).map(([k, v]) => [v, k as KeyType]));
const MAGIC = 0x4b; // 'K'
const VERSION = 1;
const KEY_PATTERN = /^k[cpu][0-9a-f]{12}$/;

export interface SoftwareKeyStoreBackendOptions {
  storage: KeyValueStorage;
  random: Random;
  text: TextCodec;
}

interface DecodedRecord {
  object: StoredObject;
  value: Uint8Array;
}

export class SoftwareKeyStoreBackend implements KeyStoreBackend {
  readonly generatableKeyTypes: readonly KeyType[] = ['EC-P256'];
  readonly #storage: KeyValueStorage;
  readonly #random: Random;
  readonly #text: TextCodec;

  constructor(options: SoftwareKeyStoreBackendOptions) {
    this.#storage = options.storage;
    this.#random = options.random;
    this.#text = options.text;
  }

  async list(): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    for (const key of await this.#storage.keys()) {
      if (!KEY_PATTERN.test(key)) continue;
      const bytes = await this.#storage.get(key);
      if (bytes) out.push(this.#decode(bytes, key).object);
    }
    return out;
  }

  async put(object: StoredObject, value: Uint8Array): Promise<void> {
    checkLabel(object.label);
    if (object.class === 'private-key') {
      const parsed = parsePkcs8(value);
      if (object.keyType !== undefined && object.keyType !== parsed.keyType) {
        throw new InvalidKeyDataError('private key', `declared ${object.keyType} but the key is ${parsed.keyType}`);
      }
      object = { ...object, keyType: parsed.keyType };
    }
    await this.#storage.set(this.#storageKey(object.class, object.label), this.#encode(object, value));
  }

  async read(objectClass: Exclude<ObjectClass, 'private-key'>, label: string): Promise<Uint8Array | undefined> {
    if ((objectClass as ObjectClass) === 'private-key') throw new PrivateKeyAccessError(label);
    return (await this.#get(objectClass, label))?.value;
  }

  async remove(objectClass: ObjectClass, label: string): Promise<void> {
    await this.#storage.delete(this.#storageKey(objectClass, label));
  }

  async generateKeyPair(label: string, keyType: KeyType): Promise<StoredObject> {
    checkLabel(label);
    if (keyType !== 'EC-P256') throw new UnsupportedKeyTypeError(String(keyType), 'generateKeyPair', this.generatableKeyTypes);
    // 48 random bytes reduced mod n-1, plus 1: bias below 2^-128 (FIPS 186-5 A.2.1).
    const seed = this.#random.bytes(48);
    const scalar = mapHashToField(seed, p256.CURVE.n);
    seed.fill(0);
    const publicPoint = p256.getPublicKey(scalar, false);
    const spki = p256Spki(publicPoint);
    const id = keyIdOf(spki);
    const pkcs8 = p256Pkcs8(scalar, publicPoint);
    scalar.fill(0);
    const privateObject: StoredObject = { class: 'private-key', label, id, keyType };
    await this.put(privateObject, pkcs8);
    pkcs8.fill(0);
    await this.put({ class: 'public-key', label, id, keyType }, spki);
    return privateObject;
  }

  async sign(label: string, mechanism: SignMechanism, data: Uint8Array): Promise<Uint8Array> {
    const record = await this.#get('private-key', label);
    if (!record) throw new ObjectNotFoundError(label, 'private-key');
    const keyType = record.object.keyType;
    if (mechanism === 'RSA-PKCS1-SHA256') {
      if (keyType !== 'RSA-2048') throw new MechanismMismatchError(label, mechanism, keyType);
      throw new UnsupportedKeyTypeError('RSA-2048', 'sign (software backend)', ['EC-P256']);
    }
    if (mechanism !== 'ECDSA-SHA256' || keyType !== 'EC-P256') throw new MechanismMismatchError(label, mechanism, keyType);
    const scalar = p256ScalarOfPkcs8(record.value);
    record.value.fill(0);
    try {
      // RFC 6979 deterministic k (no extraEntropy): no randomness needed, none leaked.
      const signature = p256.sign(sha256(data), scalar, { lowS: false, prehash: false });
      return signature.toDERRawBytes();
    } finally {
      scalar.fill(0);
    }
  }

  async privateKeyForTransport(label: string): Promise<Uint8Array> {
    const record = await this.#get('private-key', label);
    if (!record) throw new ObjectNotFoundError(label, 'private-key');
    return record.value;
  }

  toJSON(): string {
    return 'SoftwareKeyStoreBackend';
  }

  toString(): string {
    return 'SoftwareKeyStoreBackend';
  }

  /** What Node's util.inspect shows (Symbol.for is plain ECMAScript; XS ignores the key). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'SoftwareKeyStoreBackend';
  }

  async #get(objectClass: ObjectClass, label: string): Promise<DecodedRecord | undefined> {
    const key = this.#storageKey(objectClass, label);
    const bytes = await this.#storage.get(key);
    if (!bytes) return undefined;
    const record = this.#decode(bytes, key);
    if (record.object.label !== label || record.object.class !== objectClass) {
      // Two labels hashing to the same 48-bit key: astronomically unlikely, but never confuse them.
      return undefined;
    }
    return record;
  }

  #storageKey(objectClass: ObjectClass, label: string): string {
    return 'k' + String.fromCharCode(CLASS_CODE[objectClass]) + encodeHex(sha256(this.#text.encode(label)).subarray(0, 6));
  }

  #encode(object: StoredObject, value: Uint8Array): Uint8Array {
    const label = this.#text.encode(object.label);
    if (label.length > 255) throw new InvalidKeyDataError('label', `longer than 255 bytes`);
    if (object.id.length !== 32) throw new InvalidKeyDataError('object id', `expected 32 bytes, got ${object.id.length}`);
    const out = new Uint8Array(5 + label.length + 32 + value.length);
    out[0] = MAGIC;
    out[1] = VERSION;
    out[2] = CLASS_CODE[object.class];
    out[3] = object.keyType ? KEY_TYPE_CODE[object.keyType] : 0;
    out[4] = label.length;
    out.set(label, 5);
    out.set(object.id, 5 + label.length);
    out.set(value, 5 + label.length + 32);
    return out;
  }

  #decode(bytes: Uint8Array, key: string): DecodedRecord {
    const objectClass = CODE_CLASS.get(bytes[2]!);
    const labelLength = bytes[4] ?? 0;
    if (bytes[0] !== MAGIC || bytes[1] !== VERSION || !objectClass || bytes.length < 5 + labelLength + 32) {
      throw new InvalidKeyDataError('key store record', `storage key ${key} does not hold a version ${VERSION} record`);
    }
    const keyType = CODE_KEY_TYPE.get(bytes[3]!);
    const object: StoredObject = {
      class: objectClass,
      label: this.#text.decode(bytes.subarray(5, 5 + labelLength)),
      id: bytes.slice(5 + labelLength, 5 + labelLength + 32),
      ...(keyType ? { keyType } : {}),
    };
    return { object, value: bytes.slice(5 + labelLength + 32) };
  }
}
