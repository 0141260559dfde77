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

/** A streaming check of an ECDSA signature over the SHA-256 of the bytes, without the digest itself. */
export interface SignatureVerifier {
  update(data: Uint8Array): void;
  /** After the last `update`: whether the signature given at creation is valid for the bytes. Once. */
  verify(): boolean;
}

export interface Digests {
  sha256(): IncrementalHash;
  /**
   * Optional: a native streaming check of an ECDSA P-256 signature (DER, over the SHA-256 of the
   * bytes) made by `publicKeyPoint` (uncompressed, 65 bytes); it hashes the bytes itself, so an image
   * whose document names no SHA-256 (the AWS `afr_ota` form) is read once. Without it the core
   * verifies the image's SHA-256 with @noble/curves, which on Node costs about 7 ms per image and
   * on an ESP32 seconds. Throws ArgumentError if the key is not a P-256 point.
   */
  ecdsaP256Sha256Verifier?(publicKeyPoint: Uint8Array, derSignature: Uint8Array): SignatureVerifier;
}
