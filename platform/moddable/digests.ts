/**
 * PAL Digests over Moddable's `crypt` Digest: SHA-256 in C instead of @noble/hashes in XS, which
 * matters for a firmware image of megabytes (the module is linked already: the TLS socket's
 * manifest includes modules/crypt). No native ECDSA here: the core verifies the digest with noble.
 */
import { Digest } from 'crypt';
import type { Digests, IncrementalHash } from '../pal/index.js';

export class ModdableDigests implements Digests {
  sha256(): IncrementalHash {
    const digest = new Digest('SHA256');
    let closed = false;
    return {
      update: (data) => {
        if (closed) throw new Error('SHA-256 updated after digest()');
        digest.write(wholeBuffer(data));
      },
      digest: () => {
        if (closed) throw new Error('digest() called twice');
        closed = true;
        return new Uint8Array(digest.close());
      },
    };
  }
}

/**
 * `Digest.write` is typed for an ArrayBuffer: a view of a whole buffer (the OTA write buffer when
 * full, a flash read) passes as it is, anything else as a copy of its bytes.
 */
function wholeBuffer(data: Uint8Array): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data.buffer;
  return data.slice().buffer;
}
