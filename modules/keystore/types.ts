/**
 * The key store's public contract (PKCS#11 semantics, TypeScript idiom). Private key bytes are never
 * returned, logged, or put in an error or `toString`; only a platform transport reaches them, through
 * the backend.
 */
import type { KeyType, ObjectClass, SignMechanism } from '../../platform/pal/index.js';

export type { KeyType, ObjectClass, SignMechanism };

/** Labels used across the SDK. */
export const Labels = {
  rootCert: 'Root Cert',
  claimCert: 'Claim Cert',
  claimKey: 'Claim Key',
  deviceCert: 'Device Cert',
  deviceKey: 'Device Key',
  codeSignCert: 'Code Sign Cert',
} as const;

export interface KeyObjectInfo {
  class: ObjectClass;
  label: string;
  id: Uint8Array;
  keyType?: KeyType;
}

export interface KeyStoreApi {
  find(query: { label?: string; class?: ObjectClass }): Promise<KeyObjectInfo[]>;
  /** Stores a certificate (DER, or PEM text). Replaces one with the same label. */
  putCertificate(label: string, certificate: Uint8Array | string): Promise<KeyObjectInfo>;
  /** Stores a private key made elsewhere (CreateKeysAndCertificate); PEM PKCS#1/PKCS#8/SEC1 or DER PKCS#8. */
  putPrivateKey(label: string, key: Uint8Array | string): Promise<KeyObjectInfo>;
  /** Stores a public key (SPKI DER or PEM), e.g. the code-signing key. */
  putPublicKey(label: string, key: Uint8Array | string): Promise<KeyObjectInfo>;
  destroy(label: string, objectClass?: ObjectClass): Promise<void>;
  generateKeyPair(label: string, keyType: KeyType): Promise<KeyObjectInfo>;
  sign(label: string, mechanism: SignMechanism, data: Uint8Array): Promise<Uint8Array>;
  /** SubjectPublicKeyInfo DER of a key pair's public key (or of a certificate's key). */
  getPublicKey(label: string): Promise<Uint8Array>;
  /** DER of a stored certificate. */
  getCertificate(label: string): Promise<Uint8Array>;
}
