import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NodeDigests } from '../../platform/node/index.js';
import { p256PointFromSpki } from '../../modules/ota/index.js';

function signedImage(bytes: number) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const image = new Uint8Array(bytes).map((_, i) => (i * 2654435761) >>> 24);
  return {
    image,
    signature: new Uint8Array(sign('sha256', image, { key: privateKey, dsaEncoding: 'der' })),
    point: p256PointFromSpki(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))),
    digest: new Uint8Array(createHash('sha256').update(image).digest()),
  };
}

describe('NodeDigests.sha256WithEcdsaP256 on the worker thread', () => {
  it('hashes and verifies a stream many times the shared ring, fed in uneven pieces, and several streams at once', () => {
    const a = signedImage(3_000_000);
    const b = signedImage(200_000);
    const digests = new NodeDigests();
    const first = digests.sha256WithEcdsaP256(a.point, a.signature);
    const second = digests.sha256WithEcdsaP256(b.point, b.signature);
    // pieces larger and smaller than a 64 KiB ring slot; the caller's buffer is reused at once
    const scratch = new Uint8Array(150_000);
    for (let at = 0, step = 1; at < a.image.length; at += step, step = (step * 7 + 13_001) % 150_000 || 1) {
      const piece = a.image.subarray(at, at + step);
      scratch.set(piece);
      first.update(scratch.subarray(0, piece.length));
      scratch.fill(0);
      if (at < b.image.length) second.update(b.image.subarray(at, Math.min(b.image.length, at + step)));
    }
    expect(first.digest()).toEqual(a.digest);
    expect(first.signatureValid()).toBe(true);
    expect(second.digest()).toEqual(b.digest);
    expect(second.signatureValid()).toBe(true);
  });

  it('reports a tampered stream, and the main-thread option gives the same verdicts', () => {
    const a = signedImage(500_000);
    for (const thread of ['worker', 'main'] as const) {
      const hash = new NodeDigests({ signedHashThread: thread }).sha256WithEcdsaP256(a.point, a.signature);
      hash.update(a.image.subarray(0, 1000));
      hash.update(Uint8Array.of(a.image[1000]! ^ 1));
      hash.update(a.image.subarray(1001));
      expect(hash.digest()).not.toEqual(a.digest);
      expect(hash.signatureValid()).toBe(false);
    }
    expect(() => new NodeDigests({ signedHashThread: 'gpu' as 'main' })).toThrow('expected signedHashThread "worker" or "main", got "gpu"');
  });

  it('a hash abandoned before digest() does not hold up the next one', () => {
    const a = signedImage(100_000);
    const digests = new NodeDigests();
    digests.sha256WithEcdsaP256(a.point, a.signature).update(a.image.subarray(0, 50_000));
    const next = digests.sha256WithEcdsaP256(a.point, a.signature);
    next.update(a.image);
    expect(next.digest()).toEqual(a.digest);
    expect(next.signatureValid()).toBe(true);
  });
});
