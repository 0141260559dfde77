/**
 * Runs an example's device entry (examples/<name>/moddable.ts: the shared Moddable boot with the
 * example's app) in the XS lane, over the Moddable fakes (test/xs/fakes), with a cloud on the lane
 * network: a mini MQTT broker (test/xs/fakes/mini-broker.ts) behind the fake TLS server, and a
 * scenario-side MQTT client standing in for the managed-integrations cloud, which publishes command
 * requests to the device's control topic and collects everything the device publishes.
 *
 * Provisioning is not exchanged: the mini broker speaks no fleet provisioning, so the device starts
 * as provisioned on an earlier boot (the provisionee's `provisioned` record and the device
 * credentials in the key store); boot then takes the provisionee's resume path, connects with the
 * device identity over TLS, subscribes, publishes the capability report and starts jobs + OTA.
 * Imported by examples/<name>/xs/*.xs.ts only (bundled into XS; not a vitest file).
 */
import type { ScenarioContext } from '../xs/harness.js';
import { boot, type BootSummary, type DeviceApp } from '../../platform/moddable/main.js';
import { createModdablePlatform } from '../../platform/moddable/index.js';
import { createMqttAgent, type InboundMessage, type MqttAgent } from '../../modules/mqtt/index.js';
import { KeyStore } from '../../modules/keystore/keystore.js';
import { Labels } from '../../modules/keystore/types.js';
import { STATE_KEY } from '../../modules/provisionee/state.js';
import { resetDevice } from '../xs/fakes/esp-bootloader.js';
import { preferenceFake } from '../xs/fakes/preference.js';
import { power } from '../xs/fakes/power-loss.js';
import { resourceFake } from '../xs/fakes/Resource.js';
import { wifiFake } from '../xs/fakes/embedded-network-interface-wifi.js';
import { networkFake } from '../xs/fakes/network.js';
import { MiniBroker } from '../xs/fakes/mini-broker.js';
import config from '../xs/fakes/mc-config.js';
import { laneClaimCertDer, laneClaimKeyPkcs8, laneRootCaDer } from '../xs/fixtures/credentials.js';

/** The ESP32-S3 defaults of Moddable's esp32 device manifest (creation), which the figures are compared to. */
export const ESP32S3_DEFAULT_HEAP_SLOTS = 4_928;
export const ESP32S3_DEFAULT_CHUNK_BYTES = 78_848;

const BROKER_HOST = 'mqtt.lane.test';
const BROKER_IP = '10.0.0.20';

export interface DeviceConfig {
  serialNumber: string;
  productName: string;
  upc: string;
  firmwareVersion?: string;
  /** Runs on the fresh device right before boot (e.g. to leave it as an OTA update left it). */
  beforeBoot?: () => Promise<void>;
}

/** The lane cloud as the scenario sees it. */
export interface LaneCloud {
  thingName: string;
  broker: MiniBroker;
  /** Everything the device published, in order (the cloud client's view). */
  published: InboundMessage[];
  /** Publishes a command request `{ payload: { traceId, endpoints } }` and waits (virtual time) for its response payload. */
  command(traceId: string, endpoints: unknown[]): Promise<any>;
  /** Messages the device published on `north/<thing>/<suffix>`, payloads parsed as JSON. */
  northJson(suffix: string): any[];
  /** Waits (virtual time) until the device published on `north/<thing>/<suffix>`; resolves with those messages. */
  waitFor(suffix: string, withinMs?: number): Promise<any[]>;
  disconnect(): Promise<void>;
}

export interface LaneDevice extends LaneCloud {
  summary: BootSummary;
  /** Why `agent.start()` rejected, if it did. */
  startError: Error | undefined;
  /** Stops the app and closes the agent and the cloud client. */
  shutdown(): Promise<void>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A device provisioned on an earlier boot: root CA and device credentials in the key store, the provisionee's record in storage. */
async function provisionedEarlier(thingName: string): Promise<void> {
  const earlier = createModdablePlatform();
  const keyStore = new KeyStore(earlier.keyStoreBackend);
  await keyStore.putCertificate(Labels.rootCert, laneRootCaDer);
  await keyStore.putCertificate(Labels.deviceCert, laneClaimCertDer);
  await keyStore.putPrivateKey(Labels.deviceKey, laneClaimKeyPkcs8);
  const record = { version: 1, step: 'provisioned', attempt: 1, path: 'create-keys', format: 'json', certificateId: 'lane-certificate', thingName, clientId: thingName };
  await earlier.storage.set(STATE_KEY, earlier.text.encode(JSON.stringify(record)));
}

/**
 * Sets up a fresh fake device provisioned as `thingName` and the lane cloud (broker, DNS, TLS server,
 * a connected cloud client subscribed to everything the device publishes). Nothing boots yet.
 */
export async function prepareLane(t: ScenarioContext, thingName: string, device: DeviceConfig): Promise<LaneCloud> {
  resetDevice();
  wifiFake.reset();
  networkFake.reset();
  preferenceFake.erase();
  power.reboot();
  resourceFake.files = new Map([
    ['root-ca.der', laneRootCaDer],
    ['claim-cert.der', laneClaimCertDer],
    ['claim-key.der', laneClaimKeyPkcs8],
  ]);
  wifiFake.accessPoints = [{ SSID: 'home', password: 'secret', RSSI: -50, channel: 6, security: 'wpa2_psk' }];
  Object.assign(config, {
    mqttEndpoint: BROKER_HOST,
    mqttPort: 8883,
    ssid: 'home',
    password: 'secret',
    serialNumber: device.serialNumber,
    productName: device.productName,
    upc: device.upc,
    firmwareVersion: device.firmwareVersion ?? '1.0.0',
  });
  await provisionedEarlier(thingName);

  const broker = new MiniBroker();
  networkFake.dns.set(BROKER_HOST, BROKER_IP);
  networkFake.servers.set(`${BROKER_IP}:8883`, { accept: (peer) => broker.accept(peer), tls: { caDer: laneRootCaDer, requireClientCertificate: true } });

  // The cloud side: its own platform instance and MQTT client on the same lane network.
  const cloud: MqttAgent = createMqttAgent(createModdablePlatform());
  await cloud.connect({
    host: BROKER_HOST,
    port: 8883,
    clientId: 'lane-cloud',
    tls: { caLabel: Labels.rootCert, certificateLabel: Labels.deviceCert, privateKeyLabel: Labels.deviceKey },
  });
  const published: InboundMessage[] = [];
  await cloud.subscribe(`north/${thingName}/#`, (message) => void published.push(message), { qos: 1 });

  const northJson = (suffix: string) =>
    published.filter((m) => m.topic === `north/${thingName}/${suffix}`).map((m) => JSON.parse(decoder.decode(m.payload)));

  return {
    thingName,
    broker,
    published,
    northJson,
    async waitFor(suffix, within = 10_000) {
      for (let waited = 0; waited <= within; waited += 20) {
        const found = northJson(suffix);
        if (found.length > 0) return found;
        await t.sleep(20);
      }
      throw new Error(`nothing on north/${thingName}/${suffix} within ${within} ms of virtual time`);
    },
    async command(traceId, endpoints) {
      await cloud.publish(`south/${thingName}/control`, encoder.encode(JSON.stringify({ payload: { traceId, endpoints } })), { qos: 1 });
      for (let waited = 0; waited < 5_000; waited += 20) {
        const response = northJson('control/response').find((r) => r.payload?.traceId === traceId);
        if (response) return response.payload;
        await t.sleep(20);
      }
      throw new Error(`no response to command ${traceId} within 5 s of virtual time`);
    },
    async disconnect() {
      await cloud.disconnect();
    },
  };
}

/**
 * Boots `app` on a fresh fake device against the lane cloud, inside `t.measure` (its heap figures are
 * the scenario's start-up figures), and returns the running device with a cloud client attached.
 */
export async function bootExampleOnLane(t: ScenarioContext, app: DeviceApp, device: DeviceConfig): Promise<LaneDevice> {
  const cloud = await prepareLane(t, `lane-${app.name}`, device);
  await device.beforeBoot?.();
  const started = await t.measure(`boot(${app.name}): platform, key store, agent + OTA, app endpoints, start (TLS, subscribe, capability report)`, async () => {
    const booted = await boot(app);
    // A rollback restarts the device where the lane's FFI fake returns: start() then rejects (startError).
    const startError = await booted.started!.then(() => undefined, (error: unknown) => error as Error);
    return { booted, startError };
  });
  const { booted: summary, startError } = started;
  return {
    ...cloud,
    summary,
    startError,
    async shutdown() {
      summary.app?.stop();
      await summary.agent?.close();
      await cloud.disconnect();
    },
  };
}

/**
 * Records the start-up figures of the last `measure` (the boot) against the ESP32-S3 defaults. The
 * live heap after start-up is the whole lane worker: harness, fakes, lane broker and cloud client,
 * and the SDK + app bundle as loaded without preload; its growth is what boot and start added.
 */
export function recordStartupFigures(t: ScenarioContext, app: string, bundleBytes?: number): void {
  const measured = t.lastMeasure();
  if (!measured) throw new Error('recordStartupFigures needs the boot measure to have completed');
  t.figure(`${app}: live heap slots after start-up (whole lane worker; SDK+app not preloaded)`, measured.heapRetained, 'slots');
  t.figure(`${app}: live heap slots added by boot + start (platform, key store, agent, OTA, app)`, measured.heapGrowth, 'slots');
  t.figure(`${app}: boot + start growth as % of the ESP32-S3 default heap (4,928 slots)`, Math.round((measured.heapGrowth / ESP32S3_DEFAULT_HEAP_SLOTS) * 1000) / 10, '%');
  t.figure(`${app}: live heap after start-up as % of the ESP32-S3 default heap (4,928 slots)`, Math.round((measured.heapRetained / ESP32S3_DEFAULT_HEAP_SLOTS) * 1000) / 10, '%');
  if (bundleBytes !== undefined) t.figure(`${app}: bundle bytes`, bundleBytes, 'B');
}

/**
 * xsnap reports no chunk use (its meter has slots and total allocated space, which its 32 MB initial
 * chunk keeps constant), so the chunk side is bounded from below by what the device demonstrably
 * holds in chunks at once: the largest MQTT payload it built (a string and its encoded bytes).
 */
function recordChunkFigures(t: ScenarioContext, app: string, published: InboundMessage[]): void {
  const largest = published.reduce((max, m) => Math.max(max, m.payload.length), 0);
  t.figure(`${app}: largest payload published (B; chunk lower bound, xsnap does not meter chunks)`, largest, 'B');
  t.figure(`${app}: that payload as % of the ESP32-S3 default chunk heap (78,848 B)`, Math.round((largest / ESP32S3_DEFAULT_CHUNK_BYTES) * 1000) / 10, '%');
}

/** Lets three simulated minutes pass and returns the state reports the device published meanwhile. */
export async function stateReportsOverThreeMinutes(t: ScenarioContext, device: LaneDevice): Promise<any[]> {
  const before = device.northJson('state').length;
  await t.sleep(180_000);
  return device.northJson('state').slice(before);
}

/** The scenario's closing figures (state reports, capability report, chunk bound), then a clean shutdown. */
export async function finishExampleScenario(t: ScenarioContext, app: string, device: LaneDevice, states: unknown[]): Promise<void> {
  t.figure(`${app}: state reports in 3 simulated minutes`, states.length, 'messages');
  t.figure(`${app}: capability report`, device.published.find((m) => m.topic.endsWith('/setup/capabilities'))!.payload.length, 'B');
  recordChunkFigures(t, app, device.published);
  t.equal(device.summary.agent?.state, 'running', 'still running');
  await device.shutdown();
  t.equal(device.summary.agent?.state, 'closed', 'closed');
}
