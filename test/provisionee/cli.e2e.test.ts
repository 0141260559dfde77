/**
 * `mi-device provision` as a user runs it: a child process against a running local cloud. The first run
 * creates the provisioning profile over HTTP and flashes the claim credentials (the factory step); errors are
 * one JSON line on stderr with the cloud's errorCode and exit code 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCloud, type Cloud } from '../../simulator/index.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/mi-device.mjs');
let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ dataDir: mkdtempSync(path.join(tmpdir(), 'prov-cli-cloud-')), writeCloudJson: false });
});
afterAll(async () => {
  await cloud?.stop();
});

/** Runs the CLI without blocking this process, which hosts the cloud. */
function mi(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MI_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('mi-device provision', () => {
  it('flashes claim credentials from a new profile, provisions over CBOR, prints the identity; a re-run reports the same', async () => {
    const sn = `SN-CLI-${Date.now()}`;
    const thingId = cloud.createManagedThing({ serialNumber: sn, upc: '012345678905' }).Id;
    const data = mkdtempSync(path.join(tmpdir(), 'prov-cli-dev-'));
    // No --mqtt: the CLI discovers the endpoint with GET /custom-endpoint.
    const args = ['provision', '--cloud', cloud.httpUrl, '--sn', sn, '--upc', '012345678905', '--data', data, '--profile', 'CliProfile', '--create-keys', '--format', 'cbor'];
    const first = await mi(...args);
    expect(first.status, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout) as Record<string, string>;
    expect(result).toMatchObject({ thingName: thingId, clientId: thingId, path: 'create-keys', format: 'cbor' });
    expect(cloud.getManagedThing(thingId)['CertificateId']).toBe(result['certificateId']);
    expect(cloud.getProvisioningProfile('CliProfile')['Name']).toBe('CliProfile');
    const again = await mi(...args);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)['certificateId']).toBe(result['certificateId']);
  });

  it('a wrong UPC: exit 1 and a JSON error with the cloud errorCode', async () => {
    const sn = `SN-CLI-BAD-${Date.now()}`;
    cloud.createManagedThing({ serialNumber: sn, upc: '012345678905' });
    const data = mkdtempSync(path.join(tmpdir(), 'prov-cli-dev-'));
    const run = await mi('provision', '--cloud', cloud.httpUrl, '--mqtt', cloud.mqttUrl, '--sn', sn, '--upc', '000000000000', '--data', data, '--profile', 'CliProfile2');
    expect(run.status).toBe(1);
    const error = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(error).toMatchObject({ error: 'ProvisioningRejectedError', operation: 'RegisterThing', statusCode: 403, errorCode: 'AccessDenied', retryable: false });
  });

  it('usage errors exit 1 (missing options) and 2 (unknown command)', async () => {
    const missing = await mi('provision', '--sn', 'x');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('missing --cloud, --upc, --data');
    expect((await mi('frobnicate')).status).toBe(2);
  });
});
