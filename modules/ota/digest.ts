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
