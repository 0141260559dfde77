/** Streaming SHA-256: the platform's native one when it has it, else @noble/hashes. */
import { sha256 } from '@noble/hashes/sha2';
import type { Digests, IncrementalHash } from '../../platform/pal/index.js';

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
