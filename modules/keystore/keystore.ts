/**
 * The key store: PKCS#11 semantics (objects with a class, a label and a CKA_ID; find, create,
 * destroy, generate, sign) over a platform KeyStoreBackend. It never returns, logs or throws private
 * key bytes: private keys go in (putPrivateKey, generateKeyPair) and only signatures and public keys
 * come out. Objects of one label form a set: a private key, its public key, and its certificate,
 * linked by the same id (SHA-256 of the SubjectPublicKeyInfo).
 */
import type { KeyStoreBackend, KeyType, Logger, ObjectClass, SignMechanism, StoredObject } from '../../platform/pal/index.js';
import { encodeHex } from '../codec/hex.js';
import type { KeyObjectInfo, KeyStoreApi } from './types.js';
import { MechanismMismatchError, ObjectNotFoundError, UnsupportedKeyTypeError, checkLabel } from './errors.js';
import { keyIdOf, keyTypeOfSpki, parseCertificate, parsePrivateKey, parsePublicKey } from './key-formats.js';

const MECHANISM_KEY_TYPE: Record<SignMechanism, KeyType> = { 'ECDSA-SHA256': 'EC-P256', 'RSA-PKCS1-SHA256': 'RSA-2048' };
const CLASSES: readonly ObjectClass[] = ['certificate', 'private-key', 'public-key'];

export interface KeyStoreOptions {
  /** Changes to the store are logged (label, class, key type, id; never key bytes). */
  log?: Logger;
}

export class KeyStore implements KeyStoreApi {
  readonly #backend: KeyStoreBackend;
  readonly #log: Logger | undefined;

  constructor(backend: KeyStoreBackend, options: KeyStoreOptions = {}) {
    this.#backend = backend;
    this.#log = options.log;
  }

  /** Key types `generateKeyPair` can make on this platform. */
  get generatableKeyTypes(): readonly KeyType[] {
    return this.#backend.generatableKeyTypes;
  }

  async find(query: { label?: string; class?: ObjectClass } = {}): Promise<KeyObjectInfo[]> {
    const all = await this.#backend.list();
    return all
      .filter((o) => (query.label === undefined || o.label === query.label) && (query.class === undefined || o.class === query.class))
      .map(toInfo);
  }

  async putCertificate(label: string, certificate: Uint8Array | string): Promise<KeyObjectInfo> {
    checkLabel(label);
    const { der, spki } = parseCertificate(certificate);
    const keyType = keyTypeOfSpki(spki);
    const object: StoredObject = { class: 'certificate', label, id: keyIdOf(spki), ...(keyType ? { keyType } : {}) };
    await this.#backend.put(object, der);
    this.#logChange('stored certificate', object);
    return toInfo(object);
  }

  async putPrivateKey(label: string, key: Uint8Array | string): Promise<KeyObjectInfo> {
    checkLabel(label);
    const parsed = parsePrivateKey(key);
    const id = keyIdOf(parsed.spki);
    const object: StoredObject = { class: 'private-key', label, id, keyType: parsed.keyType };
    await this.#backend.put(object, parsed.pkcs8);
    // The public half under the same label, so getPublicKey and CSRs work for imported keys too.
    await this.#backend.put({ class: 'public-key', label, id, keyType: parsed.keyType }, parsed.spki);
    this.#logChange('stored private key', object);
    return toInfo(object);
  }

  async putPublicKey(label: string, key: Uint8Array | string): Promise<KeyObjectInfo> {
    checkLabel(label);
    const spki = parsePublicKey(key);
    const keyType = keyTypeOfSpki(spki);
    const object: StoredObject = { class: 'public-key', label, id: keyIdOf(spki), ...(keyType ? { keyType } : {}) };
    await this.#backend.put(object, spki);
    this.#logChange('stored public key', object);
    return toInfo(object);
  }

  async destroy(label: string, objectClass?: ObjectClass): Promise<void> {
    for (const c of objectClass ? [objectClass] : CLASSES) await this.#backend.remove(c, label);
    this.#log?.log('info', 'keystore', 'destroyed objects', { label, class: objectClass ?? 'all' });
  }

  async generateKeyPair(label: string, keyType: KeyType): Promise<KeyObjectInfo> {
    checkLabel(label);
    if (!this.#backend.generatableKeyTypes.includes(keyType)) {
      throw new UnsupportedKeyTypeError(String(keyType), 'generateKeyPair', this.#backend.generatableKeyTypes);
    }
    // A new pair replaces the whole set: a certificate for the old key would no longer match.
    await this.#backend.remove('certificate', label);
    const object = await this.#backend.generateKeyPair(label, keyType);
    this.#logChange('generated key pair', object);
    return toInfo(object);
  }

  async sign(label: string, mechanism: SignMechanism, data: Uint8Array): Promise<Uint8Array> {
    if (MECHANISM_KEY_TYPE[mechanism] === undefined) {
      throw new MechanismMismatchError(label, mechanism, undefined);
    }
    // The backend finds the key and checks that the mechanism fits it (ObjectNotFoundError,
    // MechanismMismatchError): one lookup, no listing of the whole store per signature.
    const signature = await this.#backend.sign(label, mechanism, data);
    this.#log?.log('debug', 'keystore', 'signed', { label, mechanism, bytes: data.length });
    return signature;
  }

  async getPublicKey(label: string): Promise<Uint8Array> {
    const spki = await this.#backend.read('public-key', label);
    if (spki) return spki;
    const certificate = await this.#backend.read('certificate', label);
    if (certificate) return parseCertificate(certificate).spki;
    throw new ObjectNotFoundError(label, 'certificate or public key');
  }

  async getCertificate(label: string): Promise<Uint8Array> {
    const der = await this.#backend.read('certificate', label);
    if (!der) throw new ObjectNotFoundError(label, 'certificate');
    return der;
  }

  #logChange(message: string, object: StoredObject): void {
    this.#log?.log('info', 'keystore', message, {
      label: object.label,
      class: object.class,
      keyType: object.keyType,
      id: encodeHex(object.id).slice(0, 16),
    });
  }

  toJSON(): string {
    return 'KeyStore';
  }

  toString(): string {
    return 'KeyStore';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'KeyStore';
  }
}

/** Plain data: class, label, id, key type. Never any key bytes. */
function toInfo(object: StoredObject): KeyObjectInfo {
  return {
    class: object.class,
    label: object.label,
    id: object.id.slice(),
    ...(object.keyType !== undefined ? { keyType: object.keyType } : {}),
  };
}
