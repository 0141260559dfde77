/** A Node device for provisioning tests: real platform (files in `dataDir`), real key store, real MQTT agent. */
import { createNodePlatform, type NodePlatform } from '../../../platform/node/index.js';
import type { Platform } from '../../../platform/pal/index.js';
import { NodeFileStorage } from '../../../platform/node/index.js';
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

export function createTestDevice(dataDir: string, config: ProvisioneeConfig, overrides: Partial<Platform> = {}): TestDevice {
  const platform = createNodePlatform({ dataDir, log: { level: (process.env.MI_LOG_LEVEL as 'debug' | undefined) ?? 'warn' }, overrides });
  const keyStore = new KeyStore(platform.keyStoreBackend);
  const mqtt = createMqttAgent(platform);
  const provisionee = new Provisionee({ platform, keyStore, mqtt }, config);
  return { platform, keyStore, mqtt, provisionee };
}

/** Labels in the device's key store, sorted, as `class:label`. */
export async function keyStoreContents(keyStore: KeyStore): Promise<string[]> {
  return (await keyStore.find({})).map((o) => `${o.class}:${o.label}`).sort();
}

/**
 * Storage that loses power just before it would write a record matching `pattern`: the write never lands
 * and the call throws, as if the device had died between the network answer and the save.
 */
export function storageFailingOn(dataDir: string, pattern: RegExp): NodeFileStorage {
  const storage = new NodeFileStorage(`${dataDir}/storage`);
  const set = storage.set.bind(storage);
  storage.set = async (key: string, value: Uint8Array) => {
    if (pattern.test(new TextDecoder().decode(value))) throw new Error(`power lost before saving ${key}`);
    return set(key, value);
  };
  return storage;
}
