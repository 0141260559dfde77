/**
 * The platform side of the PKCS#11-style key store (modules/keystore holds the portable semantics).
 * A backend stores objects and does the private-key operations; private key bytes never leave it
 * except through `privateKeyForTransport`, which only a platform's TLS transport calls.
 */
export type ObjectClass = 'certificate' | 'private-key' | 'public-key';
export type KeyType = 'EC-P256' | 'RSA-2048';
export type SignMechanism = 'ECDSA-SHA256' | 'RSA-PKCS1-SHA256';

export interface StoredObject {
  class: ObjectClass;
  label: string;
  /** CKA_ID: links a certificate to its key pair (here the SHA-256 of the public key, 32 bytes). */
  id: Uint8Array;
  keyType?: KeyType;
}

export interface KeyStoreBackend {
  /** Key types this platform can generate inside the store. */
  readonly generatableKeyTypes: readonly KeyType[];
  list(): Promise<StoredObject[]>;
  /** Stores an object; `value` is DER (certificate, SPKI public key, PKCS#8 private key). */
  put(object: StoredObject, value: Uint8Array): Promise<void>;
  /** Non-secret values only: certificates and public keys. Private keys are refused. */
  read(objectClass: Exclude<ObjectClass, 'private-key'>, label: string): Promise<Uint8Array | undefined>;
  remove(objectClass: ObjectClass, label: string): Promise<void>;
  /** Generates a key pair in place: a private key and a public key object under the same label. */
  generateKeyPair(label: string, keyType: KeyType): Promise<StoredObject>;
  sign(label: string, mechanism: SignMechanism, data: Uint8Array): Promise<Uint8Array>;
  /** PKCS#8 DER of a private key, for the platform TLS transport only; never logged. */
  privateKeyForTransport(label: string): Promise<Uint8Array>;
}
