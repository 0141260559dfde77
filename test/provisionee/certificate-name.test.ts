import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { certificateCommonName, CertificateParseError } from '../../modules/provisionee/index.js';
import { decodePem } from '../../modules/codec/pem.js';

const text = { encode: (s: string) => new TextEncoder().encode(s), decode: (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b) };

function selfSigned(subject: string): Uint8Array {
  const dir = mkdtempSync(path.join(tmpdir(), 'cn-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k'), '-out', path.join(dir, 'c.pem'), '-subj', subject, '-days', '1', '-utf8'], { stdio: 'ignore' });
  return decodePem(readFileSync(path.join(dir, 'c.pem'), 'utf8'), 'CERTIFICATE');
}

describe('certificate common name', () => {
  it('finds CN among other attributes, UTF-8 included', () => {
    expect(certificateCommonName(selfSigned('/C=US/O=Example/CN=device-abc/serialNumber=SN1'), text)).toBe('device-abc');
    expect(certificateCommonName(selfSigned('/O=Example/CN=센서'), text)).toBe('센서');
  });
  it('undefined without a CN; a typed error on garbage', () => {
    expect(certificateCommonName(selfSigned('/O=NoCommonName'), text)).toBeUndefined();
    expect(() => certificateCommonName(Uint8Array.of(0x30, 0x05, 0x02), text)).toThrow(CertificateParseError);
  });
});
