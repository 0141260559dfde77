import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DerError,
  bitStringBytes,
  decodeOid,
  decodeSmallInteger,
  derChildren,
  derContents,
  expectTag,
  integerMagnitude,
  readDer,
} from '../../modules/codec/der-reader.js';
import { derBitString, derContext, derObjectIdentifier, derOctetString, derSequence, derSmallInteger, derUnsignedInteger, Tag } from '../../modules/codec/der-encoder.js';
import { createTestPki } from '../helpers/pki.js';
import { spkiOfCertificate } from '../../modules/keystore/index.js';
import { X509Certificate } from 'node:crypto';

describe('DER reader', () => {
  it('walks what the encoder writes', () => {
    const der = derSequence(derSmallInteger(1), derObjectIdentifier('1.2.840.10045.3.1.7'), derContext(1, derBitString(Uint8Array.of(4, 5))), derOctetString(new Uint8Array(300)));
    const root = readDer(der);
    const [int, oid, ctx, octets] = derChildren(der, root);
    expect(decodeSmallInteger(derContents(der, expectTag(int, Tag.integer, 'version')))).toBe(1);
    expect(decodeOid(derContents(der, oid!))).toBe('1.2.840.10045.3.1.7');
    expect(ctx!.tag).toBe(0xa1);
    expect(bitStringBytes(derContents(der, derChildren(der, ctx!)[0]!))).toEqual(Uint8Array.of(4, 5));
    expect(derContents(der, octets!).length).toBe(300); // long-form length
  });

  it('round-trips OIDs and integers', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 31 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 39 }), (rest, second) => {
        const dotted = [1, second, ...rest].join('.');
        const der = derObjectIdentifier(dotted);
        expect(decodeOid(derContents(der, readDer(der)))).toBe(dotted);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const der = derUnsignedInteger(bytes);
        const expected = integerMagnitude(bytes);
        expect(integerMagnitude(derContents(der, readDer(der)))).toEqual(expected);
      }),
    );
  });

  it('rejects truncation, trailing bytes, indefinite and non-minimal lengths, with offsets only', () => {
    const der = derSequence(derOctetString(new Uint8Array(200).fill(0xab)));
    expect(() => readDer(der.subarray(0, der.length - 1))).toThrow(DerError);
    expect(() => readDer(Uint8Array.of(...der, 0))).toThrow(/1 trailing bytes/);
    expect(() => readDer(Uint8Array.of(0x30, 0x80, 0, 0))).toThrow(/indefinite/);
    expect(() => readDer(Uint8Array.of(0x04, 0x81, 0x05, 1, 2, 3, 4, 5))).toThrow(/non-minimal/);
    try {
      readDer(der.subarray(0, 150));
    } catch (error) {
      expect((error as Error).message).not.toMatch(/ab/i);
    }
  });

  it('never throws anything but DerError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const root = readDer(bytes);
          if (root.tag & 0x20) derChildren(bytes, root);
        } catch (error) {
          expect(error).toBeInstanceOf(DerError);
        }
      }),
    );
  });

  it('finds the SubjectPublicKeyInfo of real certificates', async () => {
    const pki = await createTestPki();
    for (const credential of [pki.ca, pki.server, pki.clientRsa, pki.clientP256]) {
      const expected = new X509Certificate(credential.certPem).publicKey.export({ type: 'spki', format: 'der' });
      expect(Buffer.from(spkiOfCertificate(credential.certDer)).equals(expected)).toBe(true);
    }
  });
});
