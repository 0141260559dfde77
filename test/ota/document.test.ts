import { describe, expect, it } from 'vitest';
import { createPrivateKey, createPublicKey, sign, generateKeyPairSync, createHash } from 'node:crypto';
import {
  compareVersions,
  isOtaDocument,
  OtaDocumentError,
  p256PointFromSpki,
  parseOtaDocument,
  SigningKeyError,
  spkiFromCertificate,
  verifyImageSignature,
  createImageCheck,
} from '../../modules/ota/index.js';
import { createCa, createTestPki } from '../helpers/pki.js';
import { NodeDigests } from '../../platform/node/node-digests.js';

/** A patterned image, its DER signature by a fresh P-256 key, that key's point and the image's SHA-256. */
function signedImage(size: number, step: number) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const image = new Uint8Array(size).map((_, i) => (i * step) & 0xff);
  const der = new Uint8Array(sign('sha256', image, { key: privateKey, dsaEncoding: 'der' }));
  const point = p256PointFromSpki(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })));
  const expectedDigest = new Uint8Array(createHash('sha256').update(image).digest());
  return { image, der, point, expectedDigest };
}

describe('compareVersions', () => {
  it('orders dotted, prefixed, pre-release and AWS packed versions', () => {
    expect(compareVersions('1.2.0', '1.10.0')).toBe(-1);
    expect(compareVersions('v2.0', '2.0.0')).toBe(0);
    expect(compareVersions('1.3.0-rc.1', '1.3.0')).toBe(-1);
    expect(compareVersions('1.3.0-rc.2', '1.3.0-rc.10')).toBe(-1);
    expect(compareVersions('1.3.0-beta', '1.3.0-alpha')).toBe(1);
    expect(compareVersions('1.3.0+build7', '1.3.0')).toBe(0);
    // 0x01020003 = 1.2.3 (major 8 bits, minor 8 bits, build 16 bits)
    expect(compareVersions('0x01020003', '1.2.3')).toBe(0);
    expect(compareVersions('0x01020004', '1.2.3')).toBe(1);
    expect(() => compareVersions('latest', '1.0')).toThrow(/expected a version like 1\.2\.3/);
  });
});

describe('OTA documents', () => {
  const signature = 'MEUCIQDh'.padEnd(96, 'A');
  it('parses the simple form with the default signing key label', () => {
    const image = parseOtaDocument({
      ota: { version: '1.2.0', url: 'https://h/fw.bin', size: 180888, sha256: 'ab'.repeat(32), signature: 'MAYCAQECAQE=' },
    });
    expect(image).toMatchObject({ form: 'simple', url: 'https://h/fw.bin', size: 180888, version: '1.2.0', signingKeyLabel: 'Code Sign Cert' });
    expect(image.sha256).toHaveLength(32);
    expect(image.signature).toEqual(new Uint8Array([0x30, 6, 2, 1, 1, 2, 1, 1]));
  });

  it('parses the AWS afr_ota HTTP document of ota_utest.c', () => {
    const doc = {
      afr_ota: {
        protocols: ['HTTP'],
        files: [
          {
            filepath: '/test/demo',
            filesize: 180888,
            fileid: 0,
            certfile: 'test.crt',
            update_data_url: 'https://bucket.s3.amazonaws.com/ota.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256',
            auth_scheme: 'aws.s3.presigned',
            'sig-sha256-ecdsa': 'MEQCIF2QDvww1G/kpRGZ8FYvQrok1bSZvXjXefRk7sqNcyPTAiB4dvGt8fozIY5NC0vUDJ2MY42ZERYEcrbwA4n6q7vrBg==',
          },
        ],
      },
    };
    expect(isOtaDocument(doc)).toBe(true);
    const image = parseOtaDocument(doc);
    expect(image).toMatchObject({ form: 'afr_ota', size: 180888, fileId: 0, filePath: '/test/demo', certFile: 'test.crt', version: undefined, sha256: undefined });
    expect(image.signature).toHaveLength(70);
  });

  it('names the field that is wrong', () => {
    const bad = (ota: Record<string, unknown>) => () =>
      parseOtaDocument({ ota: { version: '1.0.0', url: 'http://h/f', size: 10, sha256: '0'.repeat(64), signature, ...ota } });
    expect(bad({ size: 0 })).toThrow(new OtaDocumentError('expected ota.size to be a positive integer, got number 0'));
    expect(bad({ url: 'ftp://h/f' })).toThrow(/expected ota\.url to be an http\(s\) URL/);
    expect(bad({ signature: 'not base64!' })).toThrow(/ota\.signature is not base64/);
    expect(bad({ signature: 'AAAA' })).toThrow(/expected ota\.signature to be a DER ECDSA signature, got 3 bytes/);
    expect(() => parseOtaDocument({ afr_ota: { protocols: ['HTTP'], files: [{ fileid: 300, filesize: 1 }] } })).toThrow(/fileid to be an integer 0\.\.255/);
    expect(() => parseOtaDocument({ afr_ota: { protocols: ['HTTP'], files: [{}, {}] } })).toThrow(/expected one file in afr_ota\.files, got 2/);
    expect(() => parseOtaDocument({ operation: 'reboot' })).toThrow(/expected an "ota" or "afr_ota" object/);
    expect(isOtaDocument({ operation: 'reboot' })).toBe(false);
  });
});

describe('code-signing key and signature', () => {
  it('verifies a DER signature made by OpenSSL over SHA-256 of the image, from an SPKI key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const image = new Uint8Array(10_000).map((_, i) => i & 0xff);
    const der = new Uint8Array(sign('sha256', image, { key: privateKey, dsaEncoding: 'der' }));
    const point = p256PointFromSpki(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })));
    expect(point).toHaveLength(65);
    const digest = new Uint8Array(createHash('sha256').update(image).digest());
    expect(verifyImageSignature(digest, der, point)).toBe(true);
    digest[0]! ^= 1;
    expect(verifyImageSignature(digest, der, point)).toBe(false);
    expect(verifyImageSignature(digest, new Uint8Array([0x30, 1, 2]), point)).toBe(false);
  });

  it('checks the signature while hashing, natively on Node and with noble elsewhere, with the same verdicts', () => {
    const { image, der, point, expectedDigest } = signedImage(300_000, 31);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    const otherPoint = p256PointFromSpki(new Uint8Array(other.export({ type: 'spki', format: 'der' })));
    for (const digests of [new NodeDigests(), undefined]) {
      const run = (bytes: Uint8Array, signature: Uint8Array, key = point) => {
        const check = createImageCheck(digests, key, signature, true);
        for (let at = 0; at < bytes.length; at += 65_536) check.update(bytes.subarray(at, at + 65_536));
        const { sha256, signatureValid } = check.finish();
        return { digest: sha256, valid: signatureValid };
      };
      expect(run(image, der)).toEqual({ digest: expectedDigest, valid: true });
      const tampered = image.slice();
      tampered[123_456]! ^= 0x40;
      expect(run(tampered, der).valid).toBe(false);
      expect(run(image, new Uint8Array([0x30, 1, 2])).valid).toBe(false);
      expect(run(image, der, otherPoint).valid).toBe(false);
    }
    expect(() => new NodeDigests().ecdsaP256Sha256Verifier(point.subarray(0, 64), der)).toThrow('expected an uncompressed P-256 point (65 bytes starting 0x04), got 64 bytes');
    const offCurve = point.slice();
    offCurve[64]! ^= 1;
    expect(() => new NodeDigests().ecdsaP256Sha256Verifier(offCurve, der)).toThrow(/expected a point on the P-256 curve/);
  });

  it('checks an image with or without its SHA-256, hashing it once when no SHA-256 is wanted', () => {
    const { image, der, point, expectedDigest } = signedImage(200_000, 17);
    const tampered = image.slice();
    tampered[99_999]! ^= 0x01;
    // Counts the bytes each platform primitive is fed, to tell one pass from two.
    const native = new NodeDigests();
    const fed = { sha256: 0, verifier: 0 };
    const counting = {
      sha256: () => {
        const inner = native.sha256();
        return { ...inner, update: (data: Uint8Array) => ((fed.sha256 += data.length), inner.update(data)) };
      },
      ecdsaP256Sha256Verifier: (key: Uint8Array, signature: Uint8Array) => {
        const inner = native.ecdsaP256Sha256Verifier(key, signature);
        return { ...inner, update: (data: Uint8Array) => ((fed.verifier += data.length), inner.update(data)) };
      },
    };
    for (const digests of [counting, native, undefined]) {
      for (const withSha256 of [true, false]) {
        const run = (bytes: Uint8Array, signature: Uint8Array) => {
          const check = createImageCheck(digests, point, signature, withSha256);
          for (let at = 0; at < bytes.length; at += 65_536) check.update(bytes.subarray(at, at + 65_536));
          return check.finish();
        };
        expect(run(image, der)).toEqual({ sha256: withSha256 || !digests ? expectedDigest : undefined, signatureValid: true });
        expect(run(tampered, der).signatureValid).toBe(false);
        expect(run(image, new Uint8Array([0x30, 1, 2])).signatureValid).toBe(false);
      }
    }
    // Three images each way: the verifier saw all six, the SHA-256 only the three whose digest was wanted.
    expect(fed).toEqual({ sha256: 3 * image.length, verifier: 6 * image.length });
    expect(() => native.ecdsaP256Sha256Verifier(point.subarray(1), der)).toThrow('expected an uncompressed P-256 point (65 bytes starting 0x04), got 64 bytes');
  });

  it('reads the key of an X.509 code-signing certificate', async () => {
    const ca = await createCa('Code Signing');
    const spki = spkiFromCertificate(ca.certDer);
    const expected = createPublicKey(createPrivateKey({ key: Buffer.from(ca.keyDer), format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
    expect(Buffer.from(spki)).toEqual(expected);
    expect(p256PointFromSpki(spki)).toHaveLength(65);
  });

  it('refuses a key that is not P-256', async () => {
    const pki = await createTestPki();
    expect(() => p256PointFromSpki(spkiFromCertificate(pki.clientRsa.certDer))).toThrow(new SigningKeyError('code-signing key is not an EC key (expected id-ecPublicKey)'));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'der' });
    expect(() => p256PointFromSpki(new Uint8Array(p384))).toThrow(/not on curve P-256/);
  });
});
