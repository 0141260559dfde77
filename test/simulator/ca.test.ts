import { createPrivateKey, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateIdOfPem, LocalCa } from '../../simulator/ca.js';
import { makeCsr } from './provisioning-helpers.js';

describe('local CA', () => {
  let dir: string;
  let ca: LocalCa;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mi-cloud-ca-'));
    ca = await LocalCa.open(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps its root and server certificate across openings', async () => {
    const again = await LocalCa.open(dir);
    expect(again.caPem).toBe(ca.caPem);
    expect(again.serverCertPem).toBe(ca.serverCertPem);
  });

  it('issues a server certificate for localhost and 127.0.0.1, signed by an RSA-2048 root', () => {
    const root = new X509Certificate(ca.caPem);
    const server = new X509Certificate(ca.serverCertPem);
    expect(root.ca).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(server.verify(root.publicKey)).toBe(true);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('issues client certificates with new RSA-2048 (PKCS#1) or P-256 (SEC1) keys; the id is the SHA-256 of the DER', async () => {
    const rsa = await ca.issueWithNewKey({ commonName: 'device-a', usage: 'client' });
    expect(rsa.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(createPrivateKey(rsa.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    const ec = await ca.issueWithNewKey({ commonName: 'device-b', usage: 'client', algorithm: 'EC' });
    expect(ec.privateKeyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(createPrivateKey(ec.privateKeyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    for (const issued of [rsa, ec]) {
      const cert = new X509Certificate(issued.certificatePem);
      expect(cert.verify(new X509Certificate(ca.caPem).publicKey)).toBe(true);
      expect(cert.subject).toBe(`CN=${issued.commonName}`);
      expect(cert.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
      expect(issued.certificateId).toBe(cert.fingerprint256.replace(/:/g, '').toLowerCase());
      expect(certificateIdOfPem(issued.certificatePem)).toBe(issued.certificateId);
      expect(cert.serialNumber.toLowerCase()).toBe(issued.serialNumber);
    }
  });

  it('signs a CSR after checking its signature, and refuses a tampered one', async () => {
    const { csrPem } = await makeCsr();
    const issued = await ca.issueFromCsr(csrPem, 'device-c');
    expect(new X509Certificate(issued.certificatePem).subject).toBe('CN=device-c');
    const body = csrPem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const der = Buffer.from(body, 'base64');
    der[der.length - 5] ^= 0x01; // inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(ca.issueFromCsr(tampered, 'device-d')).rejects.toThrow(/does not verify/);
    await expect(ca.issueFromCsr('garbage', 'device-e')).rejects.toThrow(/PKCS#10/);
  });

  it('writes a CRL that OpenSSL reads, listing the given serials', async () => {
    const issued = await ca.issueWithNewKey({ commonName: 'device-f', usage: 'client', algorithm: 'EC' });
    const path = join(dir, 'crl.pem');
    writeFileSync(path, await ca.createCrl([issued.serialNumber]));
    const text = execFileSync('openssl', ['crl', '-in', path, '-noout', '-text', '-CAfile', ca.caPath], { encoding: 'utf8' });
    expect(text.toLowerCase()).toContain(issued.serialNumber);
    const certPath = join(dir, 'f.pem');
    writeFileSync(certPath, issued.certificatePem);
    writeFileSync(join(dir, 'chain-crl.pem'), ca.caPem + (await ca.createCrl([issued.serialNumber])));
    expect(() => execFileSync('openssl', ['verify', '-crl_check', '-CAfile', join(dir, 'chain-crl.pem'), certPath],
      { stdio: 'pipe' })).toThrow(/revoked/);
  });
});
