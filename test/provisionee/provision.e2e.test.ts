/**
 * The provisionee against the local cloud (simulator): MQTT over mutual TLS, real fleet provisioning,
 * real registry. Each path and format end with exactly one ACTIVE certificate bound to the managed thing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCloud, type Cloud } from '../../simulator/index.js';
import { Labels } from '../../modules/keystore/types.js';
import { PENDING_DEVICE_CERT, Provisionee, ProvisioningRejectedError, type ProvisioneeConfig } from '../../modules/provisionee/index.js';
import { createMqttAgent } from '../../modules/mqtt/index.js';
import { createTestDevice, flashClaim, keyStoreContents } from './helpers/device.js';

let cloud: Cloud;
let claim: { caPem: string; certificatePem: string; privateKeyPem: string };
const TEMPLATE = 'E2eProfile';
let serial = 0;

beforeAll(async () => {
  cloud = await startCloud({ dataDir: mkdtempSync(path.join(tmpdir(), 'prov-cloud-')), writeCloudJson: false });
  const profile = await cloud.createProvisioningProfile({ name: TEMPLATE });
  claim = { caPem: cloud.caPem, certificatePem: profile.ClaimCertificate, privateKeyPem: profile.ClaimCertificatePrivateKey };
});
afterAll(async () => {
  await cloud?.stop();
});

function newThing(): { sn: string; upc: string; id: string } {
  const sn = `SN-E2E-${++serial}-${Date.now()}`;
  const upc = '012345678905';
  return { sn, upc, id: cloud.createManagedThing({ serialNumber: sn, upc }).Id };
}

function configFor(sn: string, upc: string, extra: Partial<ProvisioneeConfig> = {}): ProvisioneeConfig {
  return {
    endpoint: { host: cloud.host, port: cloud.mqttPort, serverName: 'localhost' },
    templateName: TEMPLATE,
    device: { serialNumber: sn, upc },
    backoff: { baseMs: 50, capMs: 200, maxAttempts: 3 },
    responseTimeoutMs: 10_000,
    ...extra,
  };
}

function activeCertificatesOf(thingId: string) {
  return cloud.listCertificates().certificates.filter((c) => c['managedThingId'] === thingId && c['status'] === 'ACTIVE');
}

describe('provisioning against the local cloud', () => {
  const cases = [
    { path: 'csr', format: 'json', keyType: 'EC-P256' },
    { path: 'csr', format: 'cbor', keyType: 'RSA-2048' },
    { path: 'create-keys', format: 'json' },
    { path: 'create-keys', format: 'cbor' },
  ] as const;
  for (const c of cases) {
    it(`${c.path} ${'keyType' in c ? c.keyType : ''} over ${c.format}: provisioned, reconnected with the device identity`, async () => {
      const thing = newThing();
      const device = createTestDevice(mkdtempSync(path.join(tmpdir(), 'prov-dev-')), configFor(thing.sn, thing.upc, {
        certificatePath: c.path,
        format: c.format,
        ...('keyType' in c ? { keyType: c.keyType } : {}),
      }));
      await flashClaim(device.keyStore, claim);
      const steps: string[] = [];
      device.provisionee.onStep = (r) => steps.push(r.step);
      const result = await device.provisionee.provision();
      try {
        expect(result.thingName).toBe(thing.id);
        expect(result.clientId).toBe(thing.id);
        expect(result.path).toBe(c.path);
        expect(device.mqtt.connected).toBe(true);
        expect(steps).toEqual(['certificate-requested', 'certificate-received', 'register-requested', 'registered', 'provisioned']);
        const active = activeCertificatesOf(thing.id);
        expect(active.map((a) => a['certificateId'])).toEqual([result.certificateId]);
        expect(await keyStoreContents(device.keyStore)).toEqual(
          ['certificate:Claim Cert', 'certificate:Device Cert', 'certificate:Root Cert', 'private-key:Claim Key', 'private-key:Device Key',
            'public-key:Claim Key', 'public-key:Device Key'].sort(),
        );
        // A second start uses the stored identity without asking the cloud again.
        await device.mqtt.disconnect();
        const again = await device.provisionee.provision();
        expect(again.certificateId).toBe(result.certificateId);
        expect(steps.length).toBe(5);
      } finally {
        await device.mqtt.disconnect();
      }
    });
  }

  it('client id <common name>_<serial number> when configured (claim session on a client of its own)', async () => {
    const thing = newThing();
    const device = createTestDevice(mkdtempSync(path.join(tmpdir(), 'prov-dev-')), configFor(thing.sn, thing.upc, { clientIdScheme: 'common-name-serial' }));
    await flashClaim(device.keyStore, claim);
    const claimMqtt = createMqttAgent(device.platform);
    const provisionee = new Provisionee({ platform: device.platform, keyStore: device.keyStore, mqtt: device.mqtt, claimMqtt }, configFor(thing.sn, thing.upc, { clientIdScheme: 'common-name-serial' }));
    const result = await provisionee.provision();
    expect(claimMqtt.connected).toBe(false);
    expect(device.mqtt.connected).toBe(true);
    await device.mqtt.disconnect();
    const cert = cloud.describeCertificate(result.certificateId);
    expect(result.clientId).toBe(`${cert['commonName']}_${thing.sn}`);
  });

  it('a wrong UPC ends in a typed, non-retryable rejection carrying the cloud errorCode', async () => {
    const thing = newThing();
    const device = createTestDevice(mkdtempSync(path.join(tmpdir(), 'prov-dev-')), configFor(thing.sn, '999999999999'));
    await flashClaim(device.keyStore, claim);
    const error = await device.provisionee.provision().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisioningRejectedError);
    const rejected = error as ProvisioningRejectedError;
    expect(rejected.operation).toBe('RegisterThing');
    expect(rejected.errorCode).toBe('AccessDenied');
    expect(rejected.statusCode).toBe(403);
    expect(rejected.retryable).toBe(false);
    expect(activeCertificatesOf(thing.id)).toEqual([]);
    expect(await keyStoreContents(device.keyStore)).not.toContain('certificate:Device Cert');
    expect(device.mqtt.connected).toBe(false);
  });

  it('re-provisions automatically when the broker refuses a revoked device certificate; claim credentials stay', async () => {
    const thing = newThing();
    const device = createTestDevice(mkdtempSync(path.join(tmpdir(), 'prov-dev-')), configFor(thing.sn, thing.upc));
    await flashClaim(device.keyStore, claim);
    const first = await device.provisionee.provision();
    await device.mqtt.disconnect();
    await cloud.revokeCertificate(first.certificateId);
    const second = await device.provisionee.provision();
    try {
      expect(second.certificateId).not.toBe(first.certificateId);
      expect(device.mqtt.connected).toBe(true);
      expect((await device.provisionee.status()).step).toBe('provisioned');
      expect(activeCertificatesOf(thing.id).map((a) => a['certificateId'])).toEqual([second.certificateId]);
      const contents = await keyStoreContents(device.keyStore);
      expect(contents).toContain('private-key:Claim Key');
      expect(contents).toContain('certificate:Claim Cert');
      expect(contents).not.toContain(`certificate:${PENDING_DEVICE_CERT}`);
    } finally {
      await device.mqtt.disconnect();
    }
  });

  it('explicit re-provisioning binds a new device certificate, leaves one active, keeps the claim credentials', async () => {
    const thing = newThing();
    const device = createTestDevice(mkdtempSync(path.join(tmpdir(), 'prov-dev-')), configFor(thing.sn, thing.upc));
    await flashClaim(device.keyStore, claim);
    const first = await device.provisionee.provision();
    const second = await device.provisionee.reprovision();
    try {
      expect(second.certificateId).not.toBe(first.certificateId);
      expect(cloud.getManagedThing(thing.id)['CertificateId']).toBe(second.certificateId);
      expect(cloud.describeCertificate(second.certificateId)['status']).toBe('ACTIVE');
      expect(activeCertificatesOf(thing.id).map((a) => a['certificateId'])).toEqual([second.certificateId]);
      expect(cloud.describeCertificate(first.certificateId)['status']).toBe('INACTIVE');
      expect(await device.keyStore.getCertificate(Labels.claimCert)).toBeInstanceOf(Uint8Array);
      expect(await device.keyStore.getCertificate(Labels.deviceCert)).toEqual(
        new Uint8Array(Buffer.from(String(cloud.describeCertificate(second.certificateId)['certificatePem']).replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')),
      );
    } finally {
      await device.mqtt.disconnect();
    }
  });
});
