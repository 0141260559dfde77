/**
 * Lane fake of Moddable's `crypt` module: `Digest` for SHA-256 (with @noble/hashes standing in for
 * the C implementation), as strict as its typing: `write` takes a string or an ArrayBuffer, and a
 * closed digest refuses further writes like the native one ("can't call digest write after close").
 */
import { sha256 } from '@noble/hashes/sha2';

export class Digest {
  #hash: ReturnType<typeof sha256.create> | undefined;

  constructor(type: string) {
    if (type !== 'SHA256') throw new Error(`crypt: unsupported digest in the lane fake: ${type}`);
    this.#hash = sha256.create();
  }

  write(message: string | ArrayBuffer): void {
    if (!this.#hash) throw new Error("crypt: can't call digest write after close");
    if (typeof message === 'string') this.#hash.update(new TextEncoder().encode(message));
    else if (message instanceof ArrayBuffer) this.#hash.update(new Uint8Array(message));
    else throw new TypeError('crypt: expected a string or an ArrayBuffer');
  }

  close(): ArrayBuffer {
    if (!this.#hash) throw new Error("crypt: can't call digest close after close");
    const out = this.#hash.digest();
    this.#hash = undefined;
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
  }

  reset(): void {
    this.#hash = sha256.create();
  }

  get outputSize(): number {
    return 32;
  }
}
