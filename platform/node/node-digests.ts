import { createHash } from 'node:crypto';
import type { Digests, IncrementalHash } from '../pal/index.js';

/** SHA-256 from node:crypto (OpenSSL) for `Platform.digest`: ~20x the speed of the JS fallback on megabyte images. */
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
}
