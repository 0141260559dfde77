/**
 * The device boot of every Moddable build, and the default device app of `npm run build:moddable`
 * (without an example name): creates the Moddable platform, imports the credentials flashed as
 * resources into the key store, logs the boot state, and — when the manifest config names an MQTT
 * endpoint — creates the agent with the OTA component, lets the app (if any) add its endpoints, and
 * starts the agent, which provisions through fleet provisioning with the claim credentials, connects
 * and publishes the capability report.
 *
 * Examples plug in without copying this: `examples/<name>/moddable.ts` calls `boot(app)` with a
 * `DeviceApp` (its setup and self-test). Moddable runs the function `main` exports once the module
 * has loaded.
 */
import config from 'mc/config';
import buildInfo from 'mi/build-info';
import type { BootState } from '../pal/index.js';
import { KeyStore } from '../../modules/keystore/keystore.js';
import { createAgent } from '../../modules/agent/index.js';
import type { Agent } from '../../modules/agent/index.js';
import { provisioneeProvisioner } from '../../modules/provisionee/agent-provisioner.js';
import { createOtaComponent } from '../../modules/ota/index.js';
import type { OtaComponent } from '../../modules/ota/index.js';
import { createModdablePlatform } from './index.js';
import type { ModdablePlatform } from './index.js';
import { importBundledCredentials } from './credentials.js';
import type { ImportedCredential } from './credentials.js';

/** What the boot tells an app about the device it runs on (from the manifest config and the build). */
export interface DeviceAppContext {
  /** config.serialNumber, or `mi-device-0001`. */
  serialNumber: string;
  /** config.productName, or the app's name. */
  productName: string;
  /** config.firmwareVersion, or the SDK version the build recorded (mi/build-info). */
  firmwareVersion: string;
}

/** A running app: what the boot calls after an OTA update and on shutdown. */
export interface RunningDeviceApp {
  /** The self-test a new image runs before it marks itself valid: throw (or reject) to fail it. */
  selfTest?(): void | Promise<void>;
  /** Called once the agent runs (connected, capability report published). */
  onStarted?(): void;
  stop(): void;
}

/** An app the boot runs on the agent it creates: adds endpoints and clusters in `setup`. */
export interface DeviceApp {
  name: string;
  setup(agent: Agent, context: DeviceAppContext): RunningDeviceApp;
}

export interface BootSummary {
  platform: ModdablePlatform;
  bootState: BootState;
  imported: ImportedCredential[];
  /** Created when config.mqttEndpoint is set. */
  agent: Agent | undefined;
  /** The jobs + OTA component of the agent. */
  ota: OtaComponent | undefined;
  /** The app's running instance (set up before the agent starts). */
  app: RunningDeviceApp | undefined;
  /** Settles when `agent.start()` does (provisioned, connected, capability report published). */
  started: Promise<void> | undefined;
}

const stringConfig = (key: string): string | undefined => (typeof config[key] === 'string' && config[key] !== '' ? (config[key] as string) : undefined);
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function boot(app?: DeviceApp): Promise<BootSummary> {
  const platform = createModdablePlatform();
  platform.log.log('info', 'boot', 'mi-device-sdk starting', { ...buildInfo, app: app?.name ?? 'none' });
  if (app && buildInfo.app !== app.name) {
    // The manifest links whatever build/moddable/main.js holds; a stale bundle of another app is worth a warning.
    platform.log.log('warn', 'boot', 'build-info names another app than the one running', { built: buildInfo.app, running: app.name });
  }
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
    return { platform, bootState, imported, agent: undefined, ota: undefined, app: undefined, started: undefined };
  }
  // Moddable's setup/network normally connects before main runs (config ssid/password); if it did not, try once here.
  const ssid = stringConfig('ssid');
  if (platform.wifi.status !== 'got-ip' && ssid) {
    await platform.wifi.connect({ ssid, password: stringConfig('password') ?? '' }).catch((error: unknown) => {
      platform.log.log('warn', 'boot', 'Wi-Fi connect failed; the agent waits for the network', { ssid, error: message(error) });
    });
  }
  const context: DeviceAppContext = {
    serialNumber: stringConfig('serialNumber') ?? 'mi-device-0001',
    productName: stringConfig('productName') ?? app?.name ?? 'mi-device',
    firmwareVersion: stringConfig('firmwareVersion') ?? buildInfo.sdkVersion,
  };
  const alpn = stringConfig('alpn');
  const endpoint = { host, port: Number(config.mqttPort ?? 8883), ...(alpn ? { alpn: [alpn] } : {}) };
  const provisioner = provisioneeProvisioner(keyStore, {
    endpoint,
    templateName: stringConfig('templateName') ?? 'mi-device',
    device: { serialNumber: context.serialNumber, upc: stringConfig('upc') ?? '000000000000' },
    // Moddable's TLS signs the client CertificateVerify with RSA only.
    tlsClientKeyTypes: ['RSA-2048'],
  });
  let running: RunningDeviceApp | undefined;
  const ota = createOtaComponent({
    keyStore,
    firmwareVersion: context.firmwareVersion,
    // Runs on the first boot of a new image, after the agent connected; the app exists by then.
    selfTest: async () => {
      await running?.selfTest?.();
    },
    onEvent: (event) => {
      if (event.type !== 'progress') platform.log.log('info', 'ota', event.type, { ...event });
    },
  });
  const agent = createAgent({ platform, endpoint, provisioner, components: [ota] });
  running = app?.setup(agent, context);
  const started = agent.start();
  started.then(
    () => {
      platform.log.log('info', 'boot', 'agent running', { thingName: agent.thingName, firmwareVersion: context.firmwareVersion });
      running?.onStarted?.();
    },
    (error: unknown) => platform.log.log('error', 'boot', 'agent failed to start', { error: message(error) }),
  );
  return { platform, bootState, imported, agent, ota, app: running, started };
}

/** Boots with `app` and reports a failed boot on the console (xsbug / serial), where nothing else would. */
export function runDeviceApp(app?: DeviceApp): void {
  boot(app).catch((error: unknown) => {
    const trace = (globalThis as { trace?: (text: string) => void }).trace;
    trace?.(`boot failed: ${message(error)}\n`);
  });
}

export default function main(): void {
  runDeviceApp();
}
