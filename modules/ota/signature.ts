/**
 * ECDSA P-256 verification of an image: the signature is DER over SHA-256 of the whole image, and
 * the digest has been computed while streaming, so the verify runs with prehash off.
 */
import { p256 } from '@noble/curves/p256';

export function verifyImageSignature(digest: Uint8Array, derSignature: Uint8Array, publicKeyPoint: Uint8Array): boolean {
  try {
    // lowS false: signatures made by OpenSSL or an HSM need not be normalised to low S.
    return p256.verify(derSignature, digest, publicKeyPoint, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}
