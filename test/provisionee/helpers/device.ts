/** A Node device for provisioning tests: real platform (files in `dataDir`), real key store, real MQTT agent. */
import { createNodePlatform, type NodePlatform } from '../../../platform/node/index.js';
import { KeyStore } from '../../../modules/keystore/index.js';
import { Labels } from '../../../modules/keystore/types.js';
import { createMqttAgent } from '../../../modules/mqtt/index.js';
import { Provisionee } from '../../../modules/provisionee/index.js';
import type { ProvisioneeConfig } from '../../../modules/provisionee/index.js';

export interface TestDevice {
  platform: NodePlatform;
  keyStore: KeyStore;
  mqtt: ReturnType<typeof createMqttAgent>;
  provisionee: Provisionee;
}

/** Flashes claim credentials and the root CA as a factory would. */
export async function flashClaim(keyStore: KeyStore, claim: { caPem: string; certificatePem: string; privateKeyPem: string }): Promise<void> {
  await keyStore.putCertificate(Labels.rootCert, claim.caPem);
  await keyStore.putCertificate(Labels.claimCert, claim.certificatePem);
  await keyStore.putPrivateKey(Labels.claimKey, claim.privateKeyPem);
}

export function createTestDevice(dataDir: string, config: ProvisioneeConfig): TestDevice {
  const platform = createNodePlatform({ dataDir, log: { level: (process.env.MI_LOG_LEVEL as 'debug' | undefined) ?? 'warn' } });
  const keyStore = new KeyStore(platform.keyStoreBackend);
  const mqtt = createMqttAgent(platform);
  const provisionee = new Provisionee({ platform, keyStore, mqtt }, config);
  return { platform, keyStore, mqtt, provisionee };
}

/** Labels in the device's key store, sorted, as `class:label`. */
export async function keyStoreContents(keyStore: KeyStore): Promise<string[]> {
  return (await keyStore.find({})).map((o) => `${o.class}:${o.label}`).sort();
}
