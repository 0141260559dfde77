/**
 * Optional platform hashing. The core hashes with @noble/hashes when a platform offers nothing
 * better; a platform with native or hardware SHA-256 (node:crypto on Node, the ESP32-S3 SHA
 * accelerator behind Moddable's Crypt.Digest) provides it here, which matters for firmware images
 * of megabytes.
 */
export interface IncrementalHash {
  update(data: Uint8Array): void;
  /** The digest of everything passed to `update`; the hash cannot be used afterwards. */
  digest(): Uint8Array;
}

/** An IncrementalHash that also checks an ECDSA signature over the same bytes. */
export interface SignedHash extends IncrementalHash {
  /** After `digest()`: whether the signature given at creation is valid for the bytes hashed. */
  signatureValid(): boolean;
}

/** A streaming check of an ECDSA signature over the SHA-256 of the bytes, without the digest itself. */
export interface SignatureVerifier {
  update(data: Uint8Array): void;
  /** After the last `update`: whether the signature given at creation is valid for the bytes. Once. */
  verify(): boolean;
}

export interface Digests {
  sha256(): IncrementalHash;
  /**
   * Optional: SHA-256 of a stream together with a native check of an ECDSA P-256 signature (DER,
   * over the SHA-256 of the bytes) made by `publicKeyPoint` (uncompressed, 65 bytes). Without it the
   * core verifies the digest with @noble/curves, which on Node costs about 7 ms per image and on an
   * ESP32 seconds. Throws ArgumentError if the key is not a P-256 point.
   */
  sha256WithEcdsaP256?(publicKeyPoint: Uint8Array, derSignature: Uint8Array): SignedHash;
  /**
   * Optional: the same signature check without the digest, for images whose document names no
   * SHA-256 (the AWS `afr_ota` form): where the native verifier hashes the bytes itself (node:crypto),
   * this is one pass over the image instead of two. Same arguments and errors as sha256WithEcdsaP256.
   */
  ecdsaP256Sha256Verifier?(publicKeyPoint: Uint8Array, derSignature: Uint8Array): SignatureVerifier;
}
