/**
 * The default device app of `npm run build:moddable` (without an example name): creates the Moddable
 * platform, imports the credentials flashed as resources into the key store, logs the boot state,
 * and — when the manifest config names an MQTT endpoint — starts the agent, which provisions through
 * fleet provisioning with the claim credentials and publishes the capability report. Examples bring
 * their own `examples/<name>/moddable.ts`.
 *
 * Moddable runs the function `main` exports once the module has loaded.
 */
import config from 'mc/config';
import buildInfo from 'mi/build-info';
import type { BootState } from '../pal/index.js';
import { KeyStore } from '../../modules/keystore/keystore.js';
import { createAgent } from '../../modules/agent/index.js';
import type { Agent } from '../../modules/agent/index.js';
import { provisioneeProvisioner } from '../../modules/provisionee/agent-provisioner.js';
import { createModdablePlatform } from './index.js';
import type { ModdablePlatform } from './index.js';
import { importBundledCredentials } from './credentials.js';
import type { ImportedCredential } from './credentials.js';

export interface BootSummary {
  platform: ModdablePlatform;
  bootState: BootState;
  imported: ImportedCredential[];
  /** Created when config.mqttEndpoint is set. */
  agent: Agent | undefined;
  /** Settles when `agent.start()` does (provisioned, connected, capability report published). */
  started: Promise<void> | undefined;
}

const stringConfig = (key: string): string | undefined => (typeof config[key] === 'string' && config[key] !== '' ? (config[key] as string) : undefined);

export async function boot(): Promise<BootSummary> {
  const platform = createModdablePlatform();
  platform.log.log('info', 'boot', 'mi-device-sdk starting', { ...buildInfo });
  const keyStore = new KeyStore(platform.keyStoreBackend, { log: platform.log });
  const imported = await importBundledCredentials(keyStore, {
    rootCa: stringConfig('rootCaResource'),
    claimCertificate: stringConfig('claimCertResource'),
    claimKey: stringConfig('claimKeyResource'),
  });
  for (const credential of imported) platform.log.log('info', 'boot', 'imported credential', { ...credential });
  const bootState = await platform.slots.bootState();
  platform.log.log('info', 'boot', 'boot state', { ...bootState });

  const host = stringConfig('mqttEndpoint');
  if (!host) {
    platform.log.log('warn', 'boot', 'no mqttEndpoint in the manifest config: the agent is not started');
    return { platform, bootState, imported, agent: undefined, started: undefined };
  }
  // Moddable's setup/network normally connects before main runs (config ssid/password); if it did not, try once here.
  const ssid = stringConfig('ssid');
  if (platform.wifi.status !== 'got-ip' && ssid) {
    await platform.wifi.connect({ ssid, password: stringConfig('password') ?? '' }).catch((error: unknown) => {
      platform.log.log('warn', 'boot', 'Wi-Fi connect failed; the agent waits for the network', { ssid, error: error instanceof Error ? error.message : String(error) });
    });
  }
  const alpn = stringConfig('alpn');
  const endpoint = { host, port: Number(config.mqttPort ?? 8883), ...(alpn ? { alpn: [alpn] } : {}) };
  const provisioner = provisioneeProvisioner(keyStore, {
    endpoint,
    templateName: stringConfig('templateName') ?? 'mi-device',
    device: { serialNumber: stringConfig('serialNumber') ?? 'mi-device-0001', upc: stringConfig('upc') ?? '000000000000' },
    // Moddable's TLS signs the client CertificateVerify with RSA only.
    tlsClientKeyTypes: ['RSA-2048'],
  });
  const agent = createAgent({ platform, endpoint, provisioner });
  const started = agent.start();
  started.then(
    () => platform.log.log('info', 'boot', 'agent running'),
    (error: unknown) => platform.log.log('error', 'boot', 'agent failed to start', { error: error instanceof Error ? error.message : String(error) }),
  );
  return { platform, bootState, imported, agent, started };
}

export default function main(): void {
  boot().catch((error: unknown) => {
    const trace = (globalThis as { trace?: (text: string) => void }).trace;
    trace?.(`boot failed: ${error instanceof Error ? error.message : String(error)}\n`);
  });
}
