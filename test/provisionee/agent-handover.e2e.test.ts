/**
 * The provisionee as the agent's provisioner: a fresh device with only claim credentials starts the agent,
 * is fleet-provisioned over MQTT/TLS, reconnects with its device certificate and publishes its capability
 * report, which the cloud stores for the managed thing.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCloud, type Cloud } from '../../simulator/index.js';
import { createAgent, registerCluster } from '../../modules/agent/index.js';
import { provisioneeProvisioner } from '../../modules/provisionee/index.js';
import { OnOff } from '../datamodel/fixtures.js';
import { createTestDevice, flashClaim } from './helpers/device.js';

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ dataDir: mkdtempSync(path.join(tmpdir(), 'prov-agent-cloud-')), writeCloudJson: false });
});
afterAll(async () => {
  await cloud?.stop();
});

/** A managed thing and a device holding only claim credentials, with an agent that provisions it on start(). */
async function claimOnlyDevice(profileName: string, serialPrefix: string) {
  const profile = await cloud.createProvisioningProfile({ name: profileName });
  const sn = `${serialPrefix}-${Date.now()}`;
  const thingId = cloud.createManagedThing({ serialNumber: sn, upc: '012345678905' }).Id;
  const endpoint = { host: cloud.host, port: cloud.mqttPort, serverName: 'localhost' };
  const config = { endpoint, templateName: profileName, device: { serialNumber: sn, upc: '012345678905' }, format: 'cbor' as const };
  const { platform, keyStore } = createTestDevice(mkdtempSync(path.join(tmpdir(), 'prov-agent-dev-')), config);
  await flashClaim(keyStore, { caPem: cloud.caPem, certificatePem: profile.ClaimCertificate, privateKeyPem: profile.ClaimCertificatePrivateKey });
  const provisioner = provisioneeProvisioner(keyStore, config);
  const agent = createAgent({ platform, endpoint, provisioner, reportWindowMs: 50 });
  registerCluster(agent.addEndpoint('1', 'Light', ['Light']), OnOff, { getOnOff: () => true });
  return { thingId, provisioner, agent };
}

describe('provisionee → agent handover', () => {
  it('claim-only device: provisioned by agent.start(), then its capability report reaches the cloud', async () => {
    const { thingId, provisioner, agent } = await claimOnlyDevice('AgentProfile', 'SN-AGENT');
    const report = cloud.waitFor('capabilities', (e) => e.managedThingId === thingId, 15_000);
    await agent.start();
    try {
      expect(agent.thingName).toBe(thingId);
      expect(provisioner.result?.certificateId).toBe(cloud.getManagedThing(thingId)['CertificateId']);
      const received = await report;
      expect(JSON.stringify(received.report)).toContain('"1"');
      expect(cloud.getManagedThing(thingId)['ProvisioningStatus']).toBe('ACTIVATED');
    } finally {
      await agent.close();
    }
  });

  it('a device certificate revoked while the agent runs: the agent restarts, provisions a new one and reports again', async () => {
    const { thingId, provisioner, agent } = await claimOnlyDevice('AgentRevokeProfile', 'SN-REVOKE');
    await agent.start();
    try {
      const first = provisioner.result!.certificateId;
      const reportAgain = cloud.waitFor('capabilities', (e) => e.managedThingId === thingId, 30_000);
      await cloud.revokeCertificate(first);
      // the broker ends the session, the reconnect is refused, the MQTT client gives up, the agent recovers
      await vi.waitFor(() => expect(agent.recovery).toBeDefined(), { timeout: 30_000, interval: 50 });
      await agent.recovery;
      expect(agent.state).toBe('running');
      expect(agent.mqtt.connected).toBe(true);
      const second = provisioner.result!.certificateId;
      expect(second).not.toBe(first);
      expect(cloud.describeCertificate(first)['status']).toBe('REVOKED');
      expect(cloud.describeCertificate(second)['status']).toBe('ACTIVE');
      expect(cloud.getManagedThing(thingId)['CertificateId']).toBe(second);
      expect(agent.thingName).toBe(thingId);
      expect(JSON.stringify((await reportAgain).report)).toContain('"1"');
    } finally {
      await agent.close();
    }
  }, 60_000);
});
