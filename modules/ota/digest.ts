/** Streaming SHA-256 of an image, and the signature check over it: native where the platform has it. */
import { sha256 } from '@noble/hashes/sha2';
import type { Digests, IncrementalHash, SignedHash } from '../../platform/pal/index.js';
import { verifyImageSignature } from './signature.js';

export function createSha256(digests?: Digests): IncrementalHash {
  if (digests) return digests.sha256();
  const hash = sha256.create();
  return {
    update: (data) => {
      hash.update(data);
    },
    digest: () => hash.digest(),
  };
}

/**
 * The image's SHA-256 and the check of its ECDSA P-256 signature (DER over that SHA-256) by
 * `publicKeyPoint`: the platform's native `sha256WithEcdsaP256` when it has one, else the platform's
 * (or noble's) SHA-256 and noble's verify of the digest.
 */
export function createSignedImageHash(digests: Digests | undefined, publicKeyPoint: Uint8Array, derSignature: Uint8Array): SignedHash {
  if (digests?.sha256WithEcdsaP256) return digests.sha256WithEcdsaP256(publicKeyPoint, derSignature);
  const hash = createSha256(digests);
  let valid: boolean | undefined;
  return {
    update: (data) => hash.update(data),
    digest: () => {
      const digest = hash.digest();
      valid = verifyImageSignature(digest, derSignature, publicKeyPoint);
      return digest;
    },
    signatureValid: () => {
      if (valid === undefined) throw new Error('signatureValid() is known after digest()');
      return valid;
    },
  };
}

/** The check of a downloaded image: its signature, and its SHA-256 when the document names one. */
export interface ImageCheck {
  update(data: Uint8Array): void;
  /** After the last update: the SHA-256 (undefined when not asked for) and the signature's validity. */
  finish(): { sha256: Uint8Array | undefined; signatureValid: boolean };
}

/**
 * What the OTA agent streams the image through. Without `withSha256` (an `afr_ota` document, which
 * names no digest) a platform's `ecdsaP256Sha256Verifier` checks the signature in one pass; otherwise
 * createSignedImageHash.
 */
export function createImageCheck(digests: Digests | undefined, publicKeyPoint: Uint8Array, derSignature: Uint8Array, withSha256: boolean): ImageCheck {
  if (!withSha256 && digests?.ecdsaP256Sha256Verifier) {
    const verifier = digests.ecdsaP256Sha256Verifier(publicKeyPoint, derSignature);
    return { update: (data) => verifier.update(data), finish: () => ({ sha256: undefined, signatureValid: verifier.verify() }) };
  }
  const hash = createSignedImageHash(digests, publicKeyPoint, derSignature);
  return {
    update: (data) => hash.update(data),
    finish: () => {
      const sha256 = hash.digest();
      return { sha256, signatureValid: hash.signatureValid() };
    },
  };
}
