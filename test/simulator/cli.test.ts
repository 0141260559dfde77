/** `mi-cloud` as users run it: a `start` process plus CLI commands sharing state through --data DIR. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPublicKey, createVerify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice } from './device-client.js';
import { provision } from './provisioning-helpers.js';

const BIN = resolve(__dirname, '../../bin/mi-cloud.mjs');

function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [BIN, ...args, '--data', dataDir], { timeout: 60_000 }, (error, stdout, stderr) => {
      let json: unknown;
      try { json = JSON.parse(stdout); } catch { json = undefined; }
      resolvePromise({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, json });
    });
  });
}

function startCli(dataDir: string): Promise<{ child: ChildProcess; ready: any }> {
  const child = spawn(process.execPath, [BIN, 'start', '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolvePromise({ child, ready: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`mi-cloud start exited with ${code}`)));
  });
}

function stopCli(child: ChildProcess): Promise<number | null> {
  return new Promise((resolvePromise) => {
    child.once('exit', (code) => resolvePromise(code));
    child.kill('SIGTERM');
  });
}

// Each CLI call is a fresh Node + tsx process: generous timeouts for a loaded machine.
describe('mi-cloud CLI', { timeout: 180_000 }, () => {
  let dataDir: string;
  let running: { child: ChildProcess; ready: any } | undefined;

  beforeAll(() => { dataDir = mkdtempSync(join(tmpdir(), 'mi-cloud-cli-')); });
  afterAll(async () => {
    if (running && running.child.exitCode === null) await stopCli(running.child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('start prints its addresses; commands go through it; send-command --wait returns the device response', async () => {
    running = await startCli(dataDir);
    expect(running.ready.mqtt).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(running.ready.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(running.ready.ca)).toBe(true);
    expect(JSON.parse(readFileSync(join(dataDir, 'cloud.json'), 'utf8')).http).toBe(running.ready.http);

    const profile = await cli(dataDir, 'create-provisioning-profile', '--name', 'CliProfile');
    expect(profile.code).toBe(0);
    expect(Object.keys(profile.json).sort()).toEqual(
      ['Arn', 'ClaimCertificate', 'ClaimCertificatePrivateKey', 'Id', 'Name', 'ProvisioningType']);
    const thing = await cli(dataDir, 'create-managed-thing', '--sn', 'CLI-SN-1', '--upc', '036000291452', '--meta', 'owner=cli');
    expect(Object.keys(thing.json).sort()).toEqual(['Arn', 'CreatedAt', 'Id']);
    const id = thing.json.Id as string;
    const list = await cli(dataDir, 'list-managed-things');
    expect(list.json.Items.map((t: { Id: string }) => t.Id)).toEqual([id]);

    const ca = readFileSync(running.ready.ca, 'utf8');
    const cloudLike = { mqttUrl: running.ready.mqtt, caPem: ca } as never;
    const device = await provision(cloudLike, { ca, cert: profile.json.ClaimCertificate,
      key: profile.json.ClaimCertificatePrivateKey }, 'CliProfile', { SerialNumber: 'CLI-SN-1', UPC: '036000291452' });
    expect(device.thingName).toBe(id);
    const client = await connectDevice(running.ready.mqtt, device.credentials, id);
    await client.subscribeAsync(`south/${id}/control`, { qos: 1 });
    client.on('message', (_topic, payload) => {
      const { payload: req } = JSON.parse(payload.toString());
      client.publish(`north/${id}/control/response`, JSON.stringify({ payload: { traceId: req.traceId,
        endpoints: [{ id: '1', capabilities: [{ id: 'matter.OnOff@1.4', actions: [{ name: 'Toggle', responseCode: 200 }] }] }] } }));
    });
    client.publish(`north/${id}/setup/capabilities`, JSON.stringify({ version: '1.0.0', nodeId: '1', endpoints: [{ id: '1',
      capabilities: [{ id: 'matter.OnOff@1.4', name: 'On/Off', version: '6', properties: ['OnOff'], actions: ['Toggle'], events: [] }] }] }),
    { qos: 1 });

    const command = JSON.stringify({ Endpoints: [{ endpointId: '1', capabilities: [{ id: 'matter.OnOff@1.4', name: 'On/Off',
      version: '1.0', actions: [{ name: 'Toggle' }] }] }] });
    const sent = await cli(dataDir, 'send-command', id, command, '--wait', '5000');
    expect(sent.code).toBe(0);
    expect(sent.json.TraceId).toMatch(/^trace-/);
    expect(sent.json.Response.payload).toMatchObject({ traceId: sent.json.TraceId,
      endpoints: [{ capabilities: [{ actions: [{ name: 'Toggle', responseCode: 200 }] }] }] });
    await client.endAsync();

    const timedOut = await cli(dataDir, 'send-command', id, command, '--wait', '300');
    expect(timedOut.code).toBe(2);
    expect(timedOut.json).toMatchObject({ TraceId: expect.stringMatching(/^trace-/), Error: { code: 'CommandTimeout' } });

    const capabilities = await cli(dataDir, 'get-capabilities', id);
    expect(capabilities.json.CapabilityReport.endpoints[0].capabilities[0].id).toBe('matter.OnOff@1.4');

    expect(await stopCli(running.child)).toBe(0);
    expect(existsSync(join(dataDir, 'cloud.json'))).toBe(false);

    // with no cloud running, registry commands work on DIR directly; broker commands say what is missing
    const offline = await cli(dataDir, 'get-managed-thing', id);
    expect(offline.json).toMatchObject({ Id: id, ProvisioningStatus: 'ACTIVATED', MetaData: { owner: 'cli' } });
    const noBroker = await cli(dataDir, 'send-command', id, command);
    expect(noBroker.code).toBe(1);
    expect(noBroker.stderr).toMatch(/running cloud/);
    const missing = await cli(dataDir, 'get-managed-thing', 'nope');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ code: 'ResourceNotFoundException' });
  });

  it('sign-firmware prints the OTA job document with a verifiable ECDSA P-256 signature', async () => {
    const keyPath = join(dataDir, 'signing.key');
    const created = await cli(dataDir, 'create-signing-key', '--out', keyPath);
    expect(created.code).toBe(0);
    const image = join(dataDir, 'fw.bin');
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff));
    writeFileSync(image, bytes);
    const signed = await cli(dataDir, 'sign-firmware', image, '--key', keyPath, '--version', '1.2.0',
      '--url', 'https://127.0.0.1:1/firmware/fw.bin', '--signing-key', 'OTA Key');
    expect(signed.code).toBe(0);
    const { ota } = signed.json;
    expect(Object.keys(ota).sort()).toEqual(['sha256', 'signature', 'signingKey', 'size', 'url', 'version']);
    expect(ota).toMatchObject({ version: '1.2.0', size: 5000, url: 'https://127.0.0.1:1/firmware/fw.bin', signingKey: 'OTA Key' });
    expect(ota.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const verifier = createVerify('sha256');
    verifier.update(bytes);
    expect(verifier.verify(createPublicKey(created.json.publicKeyPem), Buffer.from(ota.signature, 'base64'))).toBe(true);
    const tampered = createVerify('sha256');
    tampered.update(Buffer.concat([bytes, Buffer.from([0])]));
    expect(tampered.verify(createPublicKey(created.json.publicKeyPem), Buffer.from(ota.signature, 'base64'))).toBe(false);
  });
});
