/**
 * Command round trip: the cloud sends a command, the device's callback runs, the cloud receives the
 * response. Ours: the SDK agent (modules/agent + modules/mqtt over the Node TLS transport) with an OnOff
 * handler. Floor: a bare MQTT.js client with the same device identity on the same broker and TLS,
 * TCP_NODELAY on, that subscribes to the control topic and answers each request with one publish
 * carrying its traceId. Both run in this process, in alternating blocks.
 *
 * Two setups:
 * - `command round trip …`: a plain aedes broker over TLS (client certificates, TCP_NODELAY on every
 *   socket) with an MQTT.js "cloud" client sending the requests: the device side is all that differs.
 * - `command round trip via simulator …`: SendManagedThingCommand of the local cloud (simulator), the
 *   whole stack as the e2e tests use it (its registry writes and broker are included in both sides).
 */
import mqtt, { type MqttClient } from 'mqtt';
import aedes from 'aedes';
import { createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodePlatform, type NodePlatform } from '../platform/node/index.js';
import { createTestPki } from '../test/helpers/pki.js';
import { createAgent, registerCluster } from '../modules/agent/index.js';
import { percentile, timeFigure, type BenchResult } from './figure.js';
import { startCloudWithDevice, type CloudDevice } from '../test/agent/cloud-device.js';
import { OnOff } from '../test/datamodel/fixtures.js';

const WARMUP = 200;
/**
 * Warm-up of the interleaved run, per side. Long on purpose: the floor runs on MQTT.js, whose code the
 * cloud client keeps hot on every command, while the SDK's code runs only for its device; a short
 * warm-up would measure V8's tiering of our code rather than its steady state.
 */
const INTERLEAVED_WARMUP = 3000;
const N = Number(process.env.BENCH_COMMANDS ?? 2000);
const ROUNDS = 4;
const TRACE_ID = /"traceId":"(t\d+)"/;

const onCommand = { Endpoints: [{ endpointId: '1', capabilities: [{ id: 'matter.OnOff@1.4', name: 'On/Off', version: '1', actions: [{ name: 'On' }] }] }] };

/** One place a device connects to, and a way for the cloud side to send one command and await its answer. */
interface Setup {
  port: number;
  platform: NodePlatform;
  /** The SDK device's thing; the echo peer uses `echoThingName` (the same one when the cloud knows only one). */
  thingName: string;
  echoThingName: string;
  credentials: { ca: string; cert: string; key: string };
  sendOne(thingName: string): Promise<void>;
  close(): Promise<void>;
}

async function measure(setup: Setup, thingName: string, count: number, into: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await setup.sendOne(thingName);
    into.push(performance.now() - start);
  }
}

/** Both devices online at once, commands alternating one by one: load on the machine hits both alike. */
async function interleaved(setup: Setup, count: number): Promise<{ ours: number[]; floor: number[] }> {
  const ours: number[] = [];
  const floor: number[] = [];
  try {
    await withSdkDevice(setup, () =>
      withEchoPeer(setup, async () => {
        for (let i = 0; i < INTERLEAVED_WARMUP; i++) {
          await setup.sendOne(setup.thingName);
          await setup.sendOne(setup.echoThingName);
        }
        for (let i = 0; i < count; i++) {
          await measure(setup, setup.thingName, 1, ours);
          await measure(setup, setup.echoThingName, 1, floor);
        }
      }),
    );
  } finally {
    await setup.close();
  }
  return { ours: ours.sort((a, b) => a - b), floor: floor.sort((a, b) => a - b) };
}

async function withSdkDevice(setup: Setup, run: () => Promise<void>): Promise<void> {
  const agent = createAgent({
    platform: setup.platform,
    endpoint: { host: '127.0.0.1', port: setup.port, serverName: 'localhost' },
    thingName: setup.thingName,
    managedThingId: setup.thingName,
  });
  const state = { on: false, calls: 0 };
  registerCluster(
    agent.addEndpoint('1', 'Light', ['Light']),
    OnOff,
    {
      getOnOff: (s: typeof state) => s.on,
      on: (_r: object, s: typeof state) => {
        s.on = true;
        s.calls++;
      },
    },
    state,
  );
  await agent.start();
  try {
    await run();
    if (state.calls === 0) throw new Error('the device callback never ran');
  } finally {
    await agent.close();
  }
}

async function withEchoPeer(setup: Setup, run: () => Promise<void>): Promise<void> {
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${setup.port}`, {
    ca: setup.credentials.ca,
    cert: setup.credentials.cert,
    key: setup.credentials.key,
    servername: 'localhost',
    clientId: setup.echoThingName,
    clean: true,
    reconnectPeriod: 0,
    protocolVersion: 4,
    // Same TLS as the SDK device: its Node transport speaks TLS 1.2, as Moddable does.
    ...({ maxVersion: 'TLSv1.2' } as object),
  });
  const protocol = (client.stream as unknown as { getProtocol?: () => string | null }).getProtocol?.();
  if (protocol !== 'TLSv1.2') throw new Error(`the echo peer should speak TLS 1.2 like the device, got ${protocol}`);
  noDelay(client);
  const control = `south/${setup.echoThingName}/control`;
  const response = `north/${setup.echoThingName}/control/response`;
  client.on('message', (topic, payload) => {
    if (topic !== control) return;
    const traceId = (JSON.parse(payload.toString('utf8')) as { payload: { traceId: string } }).payload.traceId;
    client.publish(response, JSON.stringify({ payload: { traceId } }), { qos: 1 });
  });
  await client.subscribeAsync(control, { qos: 1 });
  try {
    await run();
  } finally {
    await client.endAsync();
  }
}

function noDelay(client: MqttClient): void {
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
}

/** A plain aedes broker over TLS with client certificates, TCP_NODELAY on, and an MQTT.js cloud client. */
async function plainBrokerSetup(): Promise<Setup> {
  const pki = await createTestPki();
  const broker = aedes.createBroker({ maxClientsIdLength: 128 });
  const server = createServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true }, (socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'mi-bench-cmd-'));
  const platform = createNodePlatform({ dataDir: dir, log: { level: 'warn' } });
  const device = pki.clientP256;
  await platform.keyStoreBackend.put({ class: 'certificate', label: 'Root Cert', id: new Uint8Array(32) }, pki.ca.certDer);
  await platform.keyStoreBackend.put({ class: 'certificate', label: 'Device Cert', id: new Uint8Array(32).fill(1) }, device.certDer);
  await platform.keyStoreBackend.put({ class: 'private-key', label: 'Device Key', id: new Uint8Array(32).fill(1) }, device.keyDer);
  const thingName = 'sdkThing';
  const echoThingName = 'echoThing';
  const cloud = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    ca: pki.ca.certPem, cert: pki.clientRsa.certPem, key: pki.clientRsa.keyPem, servername: 'localhost', clientId: 'cloud', clean: true, reconnectPeriod: 0,
  });
  noDelay(cloud);
  const waiting = new Map<string, () => void>();
  // The cloud side is measurement scaffolding: it finds the traceId without parsing the whole answer,
  // so a fuller response (ours) and the floor's one-field reply cost the cloud the same.
  cloud.on('message', (_topic, payload) => {
    const traceId = TRACE_ID.exec(payload.toString('latin1'))?.[1];
    if (traceId === undefined) throw new Error('response without a traceId');
    waiting.get(traceId)?.();
    waiting.delete(traceId);
  });
  await cloud.subscribeAsync(`north/+/control/response`, { qos: 1 });
  let seq = 0;
  const request = (traceId: string, thing: string) =>
    JSON.stringify({ payload: { traceId, nodeId: '1', managedThingId: thing, endpoints: [{ id: '1', capabilities: [{ id: 'matter.OnOff@1.4', name: 'On/Off', version: '1', actions: [{ name: 'On' }] }] }] } });
  return {
    port,
    platform,
    thingName,
    echoThingName,
    credentials: { ca: pki.ca.certPem, cert: device.certPem, key: device.keyPem },
    sendOne: (thing) =>
      new Promise<void>((resolve, reject) => {
        const traceId = `t${++seq}`;
        const timer = setTimeout(() => reject(new Error(`no response to ${traceId}`)), 5000);
        waiting.set(traceId, () => {
          clearTimeout(timer);
          resolve();
        });
        cloud.publish(`south/${thing}/control`, request(traceId, thing), { qos: 1 });
      }),
    close: async () => {
      await cloud.endAsync();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The local cloud (simulator): SendManagedThingCommand and its wait for the response. */
async function simulatorSetup(): Promise<Setup> {
  const env: CloudDevice = await startCloudWithDevice({ serial: 'SN-BENCH-1' });
  return {
    port: env.cloud.mqttPort,
    platform: env.platform,
    thingName: env.thingName,
    echoThingName: env.thingName,
    credentials: env.credentials,
    sendOne: async () => {
      const { Response } = await env.cloud.sendCommand(env.thingName, onCommand, { waitMs: 5000 });
      if (!Response) throw new Error('no response');
    },
    close: () => env.cleanup(),
  };
}

/** Alternating blocks, for a cloud that knows one device identity. */
async function blocks(setup: Setup, count: number): Promise<{ ours: number[]; floor: number[] }> {
  const ours: number[] = [];
  const floor: number[] = [];
  try {
    // Alternate blocks so drift (JIT, GC, the other processes on the machine) hits both sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      await withSdkDevice(setup, async () => {
        await measure(setup, setup.thingName, WARMUP, []);
        await measure(setup, setup.thingName, count / ROUNDS, ours);
      });
      await withEchoPeer(setup, async () => {
        await measure(setup, setup.echoThingName, WARMUP, []);
        await measure(setup, setup.echoThingName, count / ROUNDS, floor);
      });
    }
  } finally {
    await setup.close();
  }
  ours.sort((a, b) => a - b);
  floor.sort((a, b) => a - b);
  return { ours, floor };
}

/** For profiling the device side alone: `BENCH_ONLY=sdk|echo` runs one side on the plain broker. */
export async function profileSide(side: 'sdk' | 'echo', count: number): Promise<number[]> {
  const setup = await plainBrokerSetup();
  const times: number[] = [];
  try {
    await (side === 'sdk' ? withSdkDevice : withEchoPeer)(setup, () => measure(setup, side === 'sdk' ? setup.thingName : setup.echoThingName, count, times));
  } finally {
    await setup.close();
  }
  return times.sort((a, b) => a - b);
}

export default async function commandBench(): Promise<BenchResult> {
  const peer = 'MQTT.js echo (floor)';
  const plain = await interleaved(await plainBrokerSetup(), N);
  const sim = await blocks(await simulatorSetup(), Math.max(ROUNDS, Math.round(N / 4)));
  return {
    'command round trip p50': timeFigure(percentile(plain.ours, 50), 'ms', peer, percentile(plain.floor, 50), 'ratio >= 0.87 (p50 within 1.15x of the floor)'),
    'command round trip p99': timeFigure(percentile(plain.ours, 99), 'ms', peer, percentile(plain.floor, 99)),
    'command round trip via simulator p50': timeFigure(percentile(sim.ours, 50), 'ms', peer, percentile(sim.floor, 50)),
    'command round trip via simulator p99': timeFigure(percentile(sim.ours, 99), 'ms', peer, percentile(sim.floor, 99)),
  };
}
