/** A deterministic generator (xorshift128+, fixed seed) for the XS lane: same bytes on every run. */
export class DeterministicRandom {
  #s0: bigint;
  #s1: bigint;
  static readonly #MASK = (1n << 64n) - 1n;

  constructor(seed = 0x9e3779b97f4a7c15n) {
    this.#s0 = seed & DeterministicRandom.#MASK || 1n;
    this.#s1 = (seed * 0xbf58476d1ce4e5b9n) & DeterministicRandom.#MASK || 2n;
  }

  #next(): bigint {
    const mask = DeterministicRandom.#MASK;
    let x = this.#s0;
    const y = this.#s1;
    this.#s0 = y;
    x ^= (x << 23n) & mask;
    this.#s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (this.#s1 + y) & mask;
  }

  fill(target: Uint8Array): Uint8Array {
    for (let i = 0; i < target.length; i += 8) {
      let word = this.#next();
      for (let j = i; j < Math.min(i + 8, target.length); j++) {
        target[j] = Number(word & 0xffn);
        word >>= 8n;
      }
    }
    return target;
  }

  bytes(length: number): Uint8Array {
    return this.fill(new Uint8Array(length));
  }
}

/** The worker's shared generator (the crypto shim and the lane platform draw from it). */
export const laneRandom = new DeterministicRandom();
