import type { Random } from '../pal/index.js';
import { fillRandom } from './random-source.js';

export const moddableRandom: Random = {
  bytes(length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`random length must be a non-negative integer, got ${length}`);
    const bytes = new Uint8Array(length);
    fillRandom(bytes);
    return bytes;
  },
};
