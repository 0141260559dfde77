/** A self-signed CA and a claim certificate signed by it (openssl), for tests that never reach a cloud. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let cached: { caPem: string; certificatePem: string; privateKeyPem: string } | undefined;

export function issueTestClaim(): { caPem: string; certificatePem: string; privateKeyPem: string } {
  if (cached) return cached;
  const dir = mkdtempSync(path.join(tmpdir(), 'claim-'));
  const f = (n: string) => path.join(dir, n);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-subj', '/CN=Test CA', '-days', '1');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('claim.key'), '-out', f('claim.csr'), '-subj', '/CN=claim');
  run('x509', '-req', '-in', f('claim.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('claim.pem'), '-days', '1');
  cached = { caPem: readFileSync(f('ca.pem'), 'utf8'), certificatePem: readFileSync(f('claim.pem'), 'utf8'), privateKeyPem: readFileSync(f('claim.key'), 'utf8') };
  return cached;
}
