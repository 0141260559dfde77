import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { buildCsr, csrToPem, encodeSubject } from '../../modules/codec/csr.js';
import { ecdsaRawToDer, derObjectIdentifier, derUnsignedInteger } from '../../modules/codec/der-encoder.js';
import type { KeyType, SignMechanism } from '../../modules/keystore/types.js';
import { rounds } from '../helpers/rounds.js';

const text = {
  encode: (s: string) => new TextEncoder().encode(s),
  decode: (b: Uint8Array) => new TextDecoder().decode(b),
};

/** A test double of the two key-store operations the builder uses, backed by node:crypto. */
function nodeSigner(keyType: KeyType, ecdsaEncoding: 'ieee-p1363' | 'der' = 'ieee-p1363') {
  const pair =
    keyType === 'EC-P256'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const calls: SignMechanism[] = [];
  return {
    calls,
    privateKey: pair.privateKey as KeyObject,
    getPublicKey: async () => new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' })),
    sign: async (_label: string, mechanism: SignMechanism, data: Uint8Array) => {
      calls.push(mechanism);
      return new Uint8Array(
        nodeSign('sha256', data, mechanism === 'ECDSA-SHA256' ? { key: pair.privateKey, dsaEncoding: ecdsaEncoding } : pair.privateKey),
      );
    },
  };
}

const dir = mkdtempSync(path.join(tmpdir(), 'csr-'));
let n = 0;
function opensslVerify(pem: string): string {
  const file = path.join(dir, `req-${n++}.pem`);
  writeFileSync(file, pem);
  // OpenSSL 3.0 exits 0 even when the self-signature is bad, so the verdict is read from its output.
  const result = spawnSync('openssl', ['req', '-in', file, '-verify', '-noout', '-subject', '-nameopt', 'RFC2253'], {
    encoding: 'utf8',
  });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0 || !/self-signature verify OK/.test(output)) throw new Error(`openssl req -verify: ${output}`);
  return output;
}

describe('PKCS#10 CSR builder', () => {
  for (const keyType of ['EC-P256', 'RSA-2048'] as const) {
    it(`produces a ${keyType} request that openssl req -verify accepts`, async () => {
      const signer = nodeSigner(keyType);
      const der = await buildCsr({
        keyStore: signer,
        keyLabel: 'Device Key',
        keyType,
        subject: { commonName: 'device-0001', organization: 'Example Corp', country: 'US', serialNumber: 'SN-0001' },
        text,
      });
      const out = opensslVerify(csrToPem(der));
      expect(out).toContain('subject=serialNumber=SN-0001,CN=device-0001,O=Example Corp,C=US');
      expect(signer.calls).toEqual([keyType === 'EC-P256' ? 'ECDSA-SHA256' : 'RSA-PKCS1-SHA256']);
      const parsed = new x509.Pkcs10CertificateRequest(der);
      expect((parsed.signatureAlgorithm as unknown as { name: string }).name).toBe(keyType === 'EC-P256' ? 'ECDSA' : 'RSASSA-PKCS1-v1_5');
      expect(await parsed.verify()).toBe(true);
    });
  }

  it('accepts ECDSA signatures already in DER form', async () => {
    const der = await buildCsr({
      keyStore: nodeSigner('EC-P256', 'der'),
      keyLabel: 'k',
      keyType: 'EC-P256',
      subject: { commonName: 'dev' },
      text,
    });
    expect(opensslVerify(csrToPem(der))).toContain('subject=CN=dev');
  });

  it('encodes non-printable names as UTF8String and openssl still verifies', async () => {
    const der = await buildCsr({
      keyStore: nodeSigner('EC-P256'),
      keyLabel: 'k',
      keyType: 'EC-P256',
      subject: { commonName: '센서_01', organization: 'Ünïcode & Co' },
      text,
    });
    const parsed = new x509.Pkcs10CertificateRequest(der);
    expect(parsed.subjectName.getField('CN')).toEqual(['센서_01']);
    expect(parsed.subjectName.getField('O')).toEqual(['Ünïcode & Co']);
    opensslVerify(csrToPem(der));
  });

  it('a tampered request fails openssl verification (the check can fail)', async () => {
    const der = await buildCsr({ keyStore: nodeSigner('EC-P256'), keyLabel: 'k', keyType: 'EC-P256', subject: { commonName: 'device-a' }, text });
    const tampered = new Uint8Array(der);
    const at = tampered.indexOf(0x61 /* 'a' of device-a */, 20);
    tampered[at] = 0x62;
    expect(() => opensslVerify(csrToPem(tampered))).toThrow();
  });

  it('verifies across many fresh P-256 keys (r or s with a high bit or leading zeros)', async () => {
    for (let i = 0; i < rounds(100, 20); i++) {
      const der = await buildCsr({ keyStore: nodeSigner('EC-P256'), keyLabel: 'k', keyType: 'EC-P256', subject: { commonName: `d${i}` }, text });
      expect(await new x509.Pkcs10CertificateRequest(der).verify()).toBe(true);
    }
  });

  it('rejects bad subjects and signatures with precise errors', async () => {
    expect(() => encodeSubject({ commonName: '' }, text)).toThrow('expected a common name of 1..64 UTF-8 bytes, got 0');
    expect(() => encodeSubject({ commonName: 'x'.repeat(65) }, text)).toThrow('got 65');
    expect(() => encodeSubject({ commonName: 'x', country: 'usa' }, text)).toThrow('two-letter');
    expect(() => encodeSubject({ commonName: 'x', serialNumber: 'a_b' }, text)).toThrow('PrintableString');
    const bad = { getPublicKey: nodeSigner('EC-P256').getPublicKey, sign: async () => new Uint8Array(10) };
    await expect(buildCsr({ keyStore: bad, keyLabel: 'k', keyType: 'EC-P256', subject: { commonName: 'x' }, text })).rejects.toThrow(
      'got 10 bytes',
    );
  });
});

describe('DER encoder', () => {
  it('encodes OIDs, integers and raw ECDSA signatures as X.690 specifies', () => {
    expect(Buffer.from(derObjectIdentifier('1.2.840.10045.4.3.2')).toString('hex')).toBe('06082a8648ce3d040302');
    expect(Buffer.from(derUnsignedInteger(Uint8Array.of(0, 0, 0x80))).toString('hex')).toBe('02020080');
    expect(Buffer.from(derUnsignedInteger(Uint8Array.of(0, 0))).toString('hex')).toBe('020100');
    const raw = new Uint8Array(64).fill(0x01);
    raw[32] = 0xff;
    const der = ecdsaRawToDer(raw);
    expect(der[0]).toBe(0x30);
    expect(der.length).toBe(2 + 34 + 35);
  });
});
