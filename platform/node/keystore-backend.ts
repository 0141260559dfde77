import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyStoreBackend, KeyType, ObjectClass, SignMechanism, StoredObject } from '../pal/index.js';
import {
  InvalidKeyDataError,
  MechanismMismatchError,
  ObjectNotFoundError,
  PrivateKeyAccessError,
  UnsupportedKeyTypeError,
  checkLabel,
} from '../../modules/keystore/errors.js';
import { decodeBase64, encodeBase64 } from '../../modules/codec/base64.js';
import { decodeHex, encodeHex } from '../../modules/codec/hex.js';
import { isTempFileName, syncDirectory, writeFileAtomic } from './atomic-file.js';

const CLASS_PREFIX: Record<ObjectClass, string> = { certificate: 'cert', 'private-key': 'priv', 'public-key': 'pub' };

interface ObjectFile {
  class: ObjectClass;
  label: string;
  id: string;
  keyType?: KeyType;
  /** Base64 DER. */
  value: string;
}

const MECHANISM_KEY_TYPE: Record<SignMechanism, KeyType> = { 'ECDSA-SHA256': 'EC-P256', 'RSA-PKCS1-SHA256': 'RSA-2048' };

/**
 * The key store backend of the Node host: one JSON file per object in `directory` (mode 0600, written
 * atomically), private-key operations with node:crypto. Generates EC P-256 and RSA-2048 key pairs;
 * signs ECDSA-SHA256 (DER signature) and RSA-PKCS1-SHA256. Holds no key bytes in memory between calls.
 */
export class NodeKeyStoreBackend implements KeyStoreBackend {
  readonly generatableKeyTypes: readonly KeyType[] = ['EC-P256', 'RSA-2048'];
  readonly #directory: string;

  constructor(directory: string) {
    this.#directory = directory;
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(directory)) {
      if (isTempFileName(name)) {
        try {
          unlinkSync(join(directory, name));
        } catch {
          /* gone already */
        }
      }
    }
  }

  async list(): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    for (const name of (await readdir(this.#directory)).sort()) {
      if (isTempFileName(name) || !name.endsWith('.json')) continue;
      const file = await this.#readFile(name);
      if (file) out.push(toStoredObject(file));
    }
    return out;
  }

  async put(object: StoredObject, value: Uint8Array): Promise<void> {
    checkLabel(object.label);
    if (object.class === 'private-key') {
      const keyType = keyTypeOf(parsePrivateKey(value));
      if (object.keyType !== undefined && object.keyType !== keyType) {
        throw new InvalidKeyDataError('private key', `declared ${object.keyType} but the key is ${keyType}`);
      }
    }
    const file: ObjectFile = {
      class: object.class,
      label: object.label,
      id: encodeHex(object.id),
      ...(object.keyType !== undefined ? { keyType: object.keyType } : {}),
      value: encodeBase64(value),
    };
    await writeFileAtomic(this.#path(object.class, object.label), new TextEncoder().encode(JSON.stringify(file)), 0o600);
  }

  async read(objectClass: Exclude<ObjectClass, 'private-key'>, label: string): Promise<Uint8Array | undefined> {
    if ((objectClass as ObjectClass) === 'private-key') throw new PrivateKeyAccessError(label);
    const file = await this.#readFile(this.#fileName(objectClass, label));
    return file ? decodeBase64(file.value) : undefined;
  }

  async remove(objectClass: ObjectClass, label: string): Promise<void> {
    try {
      await unlink(this.#path(objectClass, label));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await syncDirectory(this.#directory);
  }

  async generateKeyPair(label: string, keyType: KeyType): Promise<StoredObject> {
    checkLabel(label);
    let pair: { privateKey: KeyObject; publicKey: KeyObject };
    if (keyType === 'EC-P256') pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    else if (keyType === 'RSA-2048') pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    else throw new UnsupportedKeyTypeError(String(keyType), 'generateKeyPair', this.generatableKeyTypes);
    const spki = toBytes(pair.publicKey.export({ type: 'spki', format: 'der' }));
    const id = toBytes(createHash('sha256').update(spki).digest());
    const pkcs8 = toBytes(pair.privateKey.export({ type: 'pkcs8', format: 'der' }));
    const privateObject: StoredObject = { class: 'private-key', label, id, keyType };
    await this.put(privateObject, pkcs8);
    pkcs8.fill(0);
    await this.put({ class: 'public-key', label, id, keyType }, spki);
    return privateObject;
  }

  async sign(label: string, mechanism: SignMechanism, data: Uint8Array): Promise<Uint8Array> {
    const file = await this.#readFile(this.#fileName('private-key', label));
    if (!file) throw new ObjectNotFoundError(label, 'private-key');
    const der = decodeBase64(file.value);
    const key = parsePrivateKey(der);
    der.fill(0);
    const keyType = keyTypeOf(key);
    if (MECHANISM_KEY_TYPE[mechanism] !== keyType) throw new MechanismMismatchError(label, mechanism, keyType);
    const signature =
      keyType === 'EC-P256'
        ? cryptoSign('sha256', data, { key, dsaEncoding: 'der' })
        : cryptoSign('sha256', data, key); // RSASSA-PKCS1-v1_5 is node's default padding for RSA keys
    return toBytes(signature);
  }

  async privateKeyForTransport(label: string): Promise<Uint8Array> {
    const file = await this.#readFile(this.#fileName('private-key', label));
    if (!file) throw new ObjectNotFoundError(label, 'private-key');
    return decodeBase64(file.value);
  }

  toJSON(): string {
    return 'NodeKeyStoreBackend';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'NodeKeyStoreBackend';
  }

  #fileName(objectClass: ObjectClass, label: string): string {
    return `${CLASS_PREFIX[objectClass]}-${encodeHex(new TextEncoder().encode(label))}.json`;
  }

  #path(objectClass: ObjectClass, label: string): string {
    return join(this.#directory, this.#fileName(objectClass, label));
  }

  async #readFile(name: string): Promise<ObjectFile | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.#directory, name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as ObjectFile;
    } catch {
      // The message names the file, never its content.
      throw new InvalidKeyDataError('key store file', `${name} is not valid JSON`);
    }
  }
}

function toStoredObject(file: ObjectFile): StoredObject {
  return {
    class: file.class,
    label: file.label,
    id: decodeHex(file.id),
    ...(file.keyType !== undefined ? { keyType: file.keyType } : {}),
  };
}

function parsePrivateKey(pkcs8: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8.buffer, pkcs8.byteOffset, pkcs8.byteLength), format: 'der', type: 'pkcs8' });
  } catch {
    // OpenSSL's message is fine, but we say it in our own words so nothing of the input can leak.
    throw new InvalidKeyDataError('private key', 'not a PKCS#8 DER private key that this platform can load');
  }
}

function keyTypeOf(key: KeyObject): KeyType {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'EC-P256';
  if (key.asymmetricKeyType === 'rsa' && details?.modulusLength === 2048) return 'RSA-2048';
  throw new InvalidKeyDataError(
    'private key',
    `unsupported key ${key.asymmetricKeyType ?? 'unknown'} ${details?.namedCurve ?? details?.modulusLength ?? ''}`.trim(),
  );
}

function toBytes(buffer: Buffer | string): Uint8Array {
  if (typeof buffer === 'string') throw new TypeError('expected DER bytes');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The public key of a private key as SPKI DER (used by tests and by the Node transport's checks). */
export function spkiOfPrivateKey(pkcs8: Uint8Array): Uint8Array {
  return toBytes(createPublicKey(parsePrivateKey(pkcs8)).export({ type: 'spki', format: 'der' }));
}
