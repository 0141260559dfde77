import { createHash, createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import type { Digests, IncrementalHash, SignatureVerifier } from '../pal/index.js';
import { ArgumentError } from '../../modules/util/errors.js';

/**
 * SHA-256 and ECDSA P-256 verification from node:crypto (OpenSSL) for `Platform.digest`: about 20x
 * the JS fallback's hashing speed on megabyte images, and a signature check in a tenth of a
 * millisecond instead of noble's ~7 ms.
 */
export class NodeDigests implements Digests {
  sha256(): IncrementalHash {
    const hash = createHash('sha256');
    return {
      update: (data) => {
        hash.update(data);
      },
      digest: () => new Uint8Array(hash.digest()),
    };
  }

  /**
   * OpenSSL's streaming verify. node:crypto verifies only over the message, never over a digest, so
   * when the document names a SHA-256 too the bytes are hashed twice (about 0.8 ms per MB), against
   * noble's fixed ~7 ms after the download.
   */
  ecdsaP256Sha256Verifier(publicKeyPoint: Uint8Array, derSignature: Uint8Array): SignatureVerifier {
    const key = p256Key(publicKeyPoint);
    const signature = derSignature.slice();
    const verifier = createVerify('sha256');
    return {
      update: (data) => {
        verifier.update(data);
      },
      verify: () => {
        try {
          return verifier.verify({ key, dsaEncoding: 'der' }, signature);
        } catch {
          return false; // not a DER ECDSA signature
        }
      },
    };
  }
}

function p256Key(point: Uint8Array): KeyObject {
  if (!(point instanceof Uint8Array) || point.length !== 65 || point[0] !== 0x04) {
    throw new ArgumentError(`expected an uncompressed P-256 point (65 bytes starting 0x04), got ${point?.length ?? typeof point} bytes`);
  }
  const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
  try {
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) }, format: 'jwk' });
  } catch (error) {
    throw new ArgumentError(`expected a point on the P-256 curve: ${(error as Error).message}`);
  }
}
