import { randomBytes } from 'node:crypto';
import type { Random } from '../pal/index.js';

/** Crypto-grade randomness from the OS CSPRNG. */
export class NodeRandom implements Random {
  bytes(length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0) {
      throw new RangeError(`expected a non-negative integer length, got ${length}`);
    }
    const b = randomBytes(length);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
}
