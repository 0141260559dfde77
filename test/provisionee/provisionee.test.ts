/**
 * Provisionee decisions that need no cloud: certificate path and key type from configuration and platform
 * capability, missing claim credentials, waiting for the network before anything is saved or sent, and
 * configuration errors. The broker address is a closed loopback port, so every run ends in a connect failure.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createNodePlatform, SimulatedWifi, NodeTimers } from '../../platform/node/index.js';
import { KeyStore } from '../../modules/keystore/index.js';
import { Labels, type KeyType } from '../../modules/keystore/types.js';
import { createMqttAgent } from '../../modules/mqtt/index.js';
import { MissingCredentialError, Provisionee, ProvisioningFailedError, type ProvisioneeConfig } from '../../modules/provisionee/index.js';
import { ArgumentError } from '../../modules/util/errors.js';
import type { KeyStoreBackend } from '../../platform/pal/index.js';
import { issueTestClaim } from './helpers/claim.js';

function device(options: { generatable?: KeyType[]; wifi?: SimulatedWifi } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'prov-unit-'));
  const base = createNodePlatform({ dataDir, log: { level: 'error' } });
  const backend: KeyStoreBackend = options.generatable
    ? new Proxy(base.keyStoreBackend, {
        get: (target, key) => {
          if (key === 'generatableKeyTypes') return options.generatable;
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      })
    : base.keyStoreBackend;
  const platform = { ...base, keyStoreBackend: backend, ...(options.wifi ? { wifi: options.wifi } : {}) };
  const keyStore = new KeyStore(backend);
  return { platform, keyStore, mqtt: createMqttAgent(platform) };
}

const config = (extra: Partial<ProvisioneeConfig> = {}): ProvisioneeConfig => ({
  endpoint: { host: '127.0.0.1', port: 1, serverName: 'localhost' },
  templateName: 'UnitProfile',
  device: { serialNumber: 'SN-UNIT-1', upc: '012345678905' },
  backoff: { baseMs: 1, capMs: 1, maxAttempts: 0 },
  ...extra,
});

async function flashed(options: Parameters<typeof device>[0] = {}) {
  const d = device(options);
  const claim = issueTestClaim();
  await d.keyStore.putCertificate(Labels.rootCert, claim.caPem);
  await d.keyStore.putCertificate(Labels.claimCert, claim.certificatePem);
  await d.keyStore.putPrivateKey(Labels.claimKey, claim.privateKeyPem);
  return d;
}

describe('provisionee without a cloud', () => {
  it('auto picks CSR with P-256 when the store can make it, and generates the key before connecting', async () => {
    const d = await flashed();
    const p = new Provisionee(d, config());
    await expect(p.provision()).rejects.toThrow(ProvisioningFailedError);
    const record = await p.status();
    expect(record).toMatchObject({ step: 'certificate-requested', path: 'csr', keyType: 'EC-P256', attempt: 1, format: 'json' });
    expect((await d.keyStore.find({ label: Labels.deviceKey })).map((o) => o.class).sort()).toEqual(['private-key', 'public-key']);
  });

  it('auto on a platform whose TLS signs with RSA only (Moddable) picks an RSA-2048 CSR', async () => {
    const d = await flashed();
    const p = new Provisionee(d, config({ tlsClientKeyTypes: ['RSA-2048'], format: 'cbor' }));
    await expect(p.provision()).rejects.toThrow(ProvisioningFailedError);
    expect(await p.status()).toMatchObject({ path: 'csr', keyType: 'RSA-2048', format: 'cbor' });
  });

  it('auto falls back to CreateKeysAndCertificate when the store cannot generate a usable key', async () => {
    const d = await flashed({ generatable: [] });
    const p = new Provisionee(d, config());
    await expect(p.provision()).rejects.toThrow(ProvisioningFailedError);
    const record = await p.status();
    expect(record.path).toBe('create-keys');
    expect(record.keyType).toBeUndefined();
    expect(await d.keyStore.find({ label: Labels.deviceKey })).toEqual([]);
  });

  it('an explicit CSR path the platform cannot serve is a configuration error, not retried', async () => {
    const d = await flashed({ generatable: ['EC-P256'] });
    const p = new Provisionee(d, config({ certificatePath: 'csr', tlsClientKeyTypes: ['RSA-2048'], backoff: { maxAttempts: 5, baseMs: 1, capMs: 1 } }));
    await expect(p.provision()).rejects.toThrow(ArgumentError);
    await expect(p.provision()).rejects.toThrow('certificatePath csr needs a key type the key store can generate (EC-P256) and TLS can use (RSA-2048)');
  });

  it('missing claim credentials: a typed error naming the label, nothing saved', async () => {
    const d = device();
    const p = new Provisionee(d, config());
    const error = await p.provision().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingCredentialError);
    expect((error as MissingCredentialError).label).toBe('Root Cert');
    expect((await p.status()).step).toBe('idle');
  });

  it('waits for Wi-Fi (got-ip) before saving or sending anything', async () => {
    const wifi = new SimulatedWifi(new NodeTimers(), { initialSsid: null });
    const d = await flashed({ wifi });
    const p = new Provisionee(d, config());
    const run = p.provision().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    expect((await p.status()).step).toBe('idle');
    await wifi.connect({ ssid: 'node-host' });
    expect(await run).toBeInstanceOf(ProvisioningFailedError);
    expect((await p.status()).step).toBe('certificate-requested');
  });

  it('rejects bad configuration up front', () => {
    const d = device();
    expect(() => new Provisionee(d, config({ device: { serialNumber: '', upc: '1' } }))).toThrow('device.serialNumber');
    expect(() => new Provisionee(d, config({ templateName: 'bad/name' }))).toThrow('template name');
    expect(() => new Provisionee(d, config({ endpoint: { host: 'h', port: 1.5 } }))).toThrow('endpoint');
  });
});
