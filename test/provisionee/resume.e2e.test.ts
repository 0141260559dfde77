/**
 * Resuming from the persisted step against the local cloud: an interrupted run (the process "dies" right
 * after a step is saved) continues from the record; a token past its hour restarts from the certificate step;
 * a token the cloud refuses as expired does too; an unreachable broker ends in a typed failure after backoff.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCloud, type Cloud } from '../../simulator/index.js';
import { ProvisioningFailedError, ProvisioningStateStore, type ProvisioneeConfig, type ProvisioningStep } from '../../modules/provisionee/index.js';
import { TransportError } from '../../platform/pal/index.js';
import { createTestDevice, flashClaim, storageFailingOn } from './helpers/device.js';

const TEMPLATE = 'ResumeProfile';
const TOKEN_TTL_MS = 2_000;
let cloud: Cloud;
let claim: { caPem: string; certificatePem: string; privateKeyPem: string };
let serial = 0;

beforeAll(async () => {
  // A short ownership-token lifetime, so the cloud's expiry can be reached in a test.
  cloud = await startCloud({ dataDir: mkdtempSync(path.join(tmpdir(), 'prov-resume-cloud-')), writeCloudJson: false, ownershipTokenTtlMs: TOKEN_TTL_MS });
  const profile = await cloud.createProvisioningProfile({ name: TEMPLATE });
  claim = { caPem: cloud.caPem, certificatePem: profile.ClaimCertificate, privateKeyPem: profile.ClaimCertificatePrivateKey };
});
afterAll(async () => {
  await cloud?.stop();
});

class Interrupted extends Error {}

function setup(extra: Partial<ProvisioneeConfig> = {}) {
  const sn = `SN-RESUME-${++serial}-${Date.now()}`;
  const upc = '012345678905';
  const thingId = cloud.createManagedThing({ serialNumber: sn, upc }).Id;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'prov-resume-dev-'));
  const config: ProvisioneeConfig = {
    endpoint: { host: cloud.host, port: cloud.mqttPort, serverName: 'localhost' },
    templateName: TEMPLATE,
    device: { serialNumber: sn, upc },
    backoff: { baseMs: 20, capMs: 50, maxAttempts: 3 },
    ...extra,
  };
  return { thingId, dataDir, config };
}

/** A device whose run stops (like a power cut) right after `step` is saved; returns the steps it saved. */
async function runUntil(dataDir: string, config: ProvisioneeConfig, step: ProvisioningStep): Promise<string[]> {
  const device = createTestDevice(dataDir, config);
  await flashClaim(device.keyStore, claim);
  const steps: string[] = [];
  device.provisionee.onStep = (r) => {
    steps.push(r.step);
    if (r.step === step) throw new Interrupted(`stopped after ${step}`);
  };
  await expect(device.provisionee.provision()).rejects.toThrow(Interrupted);
  await device.mqtt.disconnect().catch(() => undefined);
  return steps;
}

/** A fresh device process on the same data: provisions to the end, recording the steps it saves. */
async function resume(dataDir: string, config: ProvisioneeConfig) {
  const device = createTestDevice(dataDir, config);
  const steps: string[] = [];
  device.provisionee.onStep = (r) => steps.push(r.step);
  const result = await device.provisionee.provision();
  await device.mqtt.disconnect();
  return { result, steps };
}

function certificatesOf(thingId: string) {
  return cloud.listCertificates().certificates.filter((c) => c['managedThingId'] === thingId);
}

describe('resuming provisioning from the persisted step', () => {
  it('after register-requested was saved but before RegisterThing went out: resumes with the same token', async () => {
    const { thingId, dataDir, config } = setup();
    await runUntil(dataDir, config, 'register-requested');
    const { result, steps } = await resume(dataDir, config);
    expect(steps).toEqual(['register-requested', 'registered', 'provisioned']);
    expect(result.attempts).toBe(1);
    expect(certificatesOf(thingId).map((c) => [c['certificateId'], c['status']])).toEqual([[result.certificateId, 'ACTIVE']]);
  });

  it('RegisterThing accepted by the cloud, power lost before the answer was saved: the used token is refused, a new certificate is registered', async () => {
    const { thingId, dataDir, config } = setup();
    const first = createTestDevice(dataDir, config, { storage: storageFailingOn(dataDir, /"step":"registered"/) });
    await flashClaim(first.keyStore, claim);
    await expect(first.provisionee.provision()).rejects.toThrow('power lost before saving prov.state');
    await first.mqtt.disconnect().catch(() => undefined);
    const lost = String(cloud.getManagedThing(thingId)['CertificateId']);
    expect(cloud.describeCertificate(lost)['status']).toBe('ACTIVE');

    const { result, steps } = await resume(dataDir, config);
    expect(steps).toEqual(['register-requested', 'idle', 'certificate-requested', 'certificate-received', 'register-requested', 'registered', 'provisioned']);
    expect(result.attempts).toBe(2);
    expect(result.certificateId).not.toBe(lost);
    expect(cloud.getManagedThing(thingId)['CertificateId']).toBe(result.certificateId);
    // One active certificate per managed thing: the one whose answer was lost is deactivated by the re-registration.
    expect(certificatesOf(thingId).filter((c) => c['status'] === 'ACTIVE').map((c) => c['certificateId'])).toEqual([result.certificateId]);
    expect(cloud.describeCertificate(lost)['status']).toBe('INACTIVE');
  });

  it('after the certificate was received: RegisterThing resumes with the stored token, no new certificate', async () => {
    const { thingId, dataDir, config } = setup();
    await runUntil(dataDir, config, 'certificate-received');
    const pending = certificatesOf(thingId);
    expect(pending).toEqual([]); // not bound yet: PENDING_ACTIVATION certificates have no thing
    const { result, steps } = await resume(dataDir, config);
    expect(steps).toEqual(['register-requested', 'registered', 'provisioned']);
    expect(result.attempts).toBe(1);
    expect(certificatesOf(thingId).map((c) => [c['certificateId'], c['status']])).toEqual([[result.certificateId, 'ACTIVE']]);
  });

  it('a token older than its lifetime (device clock) restarts from the certificate step without asking the cloud', async () => {
    const { thingId, dataDir, config } = setup();
    await runUntil(dataDir, config, 'certificate-received');
    const probe = createTestDevice(dataDir, config);
    const store = new ProvisioningStateStore(probe.platform.storage, probe.platform.text);
    const record = await store.load();
    const abandoned = record.certificateId!;
    await store.save({ ...record, tokenReceivedAt: Date.now() - 3_600_000 - 1 });
    const { result, steps } = await resume(dataDir, config);
    expect(steps).toEqual(['idle', 'certificate-requested', 'certificate-received', 'register-requested', 'registered', 'provisioned']);
    expect(result.attempts).toBe(2);
    expect(result.certificateId).not.toBe(abandoned);
    expect(cloud.describeCertificate(abandoned)['status']).not.toBe('ACTIVE');
    expect(certificatesOf(thingId).filter((c) => c['status'] === 'ACTIVE').map((c) => c['certificateId'])).toEqual([result.certificateId]);
  });

  it('a token the cloud refuses as expired (InvalidCertificateOwnershipToken) restarts from the certificate step', async () => {
    const { dataDir, config } = setup();
    await runUntil(dataDir, config, 'certificate-received');
    await new Promise((r) => setTimeout(r, TOKEN_TTL_MS + 200));
    const { result, steps } = await resume(dataDir, config);
    expect(steps.slice(0, 3)).toEqual(['register-requested', 'idle', 'certificate-requested']);
    expect(steps.at(-1)).toBe('provisioned');
    expect(result.attempts).toBe(2);
  });

  it('an unreachable broker: retried with backoff, then a typed failure naming the transport error', async () => {
    const { dataDir, config } = setup({ endpoint: { host: '127.0.0.1', port: 1, serverName: 'localhost' } });
    const device = createTestDevice(dataDir, config);
    await flashClaim(device.keyStore, claim);
    const error = await device.provisionee.provision().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisioningFailedError);
    expect((error as ProvisioningFailedError).attempts).toBe(4);
    expect((error as ProvisioningFailedError).cause).toBeInstanceOf(TransportError);
    expect((await device.provisionee.status()).step).toBe('certificate-requested');
  });
});
