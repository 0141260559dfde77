/** Streaming SHA-256 of an image, and the signature check over it: native where the platform has it. */
import { sha256 } from '@noble/hashes/sha2';
import type { Digests, IncrementalHash } from '../../platform/pal/index.js';
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

/** The check of a downloaded image: its signature, and its SHA-256 when the document names one. */
export interface ImageCheck {
  update(data: Uint8Array): void;
  /**
   * After the last update: the image's SHA-256 (undefined when neither the document nor the
   * signature check needed it) and whether the signature is valid.
   */
  finish(): { sha256: Uint8Array | undefined; signatureValid: boolean };
}

/**
 * What the OTA agent streams the image through: the platform's `ecdsaP256Sha256Verifier` (which
 * hashes the bytes itself) when it has one, plus a SHA-256 only when the document names a digest
 * (an `afr_ota` document does not: one pass); without a native verifier, the platform's (or noble's)
 * SHA-256 and noble's verify of that digest.
 */
export function createImageCheck(digests: Digests | undefined, publicKeyPoint: Uint8Array, derSignature: Uint8Array, withSha256: boolean): ImageCheck {
  const verifier = digests?.ecdsaP256Sha256Verifier?.(publicKeyPoint, derSignature);
  const hash = withSha256 || !verifier ? createSha256(digests) : undefined;
  return {
    update: (data) => {
      hash?.update(data);
      verifier?.update(data);
    },
    finish: () => {
      const sha256 = hash?.digest();
      return { sha256, signatureValid: verifier ? verifier.verify() : verifyImageSignature(sha256!, derSignature, publicKeyPoint) };
    },
  };
}
