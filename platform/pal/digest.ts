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

export interface Digests {
  sha256(): IncrementalHash;
}
