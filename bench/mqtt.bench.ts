/**
 * MQTT agent vs MQTT.js (the npm `mqtt` client) on the same mosquitto broker over the same mutual-TLS
 * listener (TLS 1.2, RSA client certificate), in one run:
 * - QoS 1 publish throughput: N publishes fired at once, time until the last PUBACK. MQTT.js puts all
 *   of them on the wire at once (it has no in-flight limit). Ours is measured twice: with the window
 *   opened as wide as the peer's (maxInFlight 65535; mosquitto has no AWS limit), and with the default
 *   configuration (AWS IoT's 100 in flight, command queue 32, the caller awaiting the oldest publish),
 *   where the broker round trip bounds the rate.
 * - publish → receive round trip: one client subscribed to its own topic, one message at a time,
 *   p50 and p99 over many samples.
 * MQTT.js is set up at its best: TCP_NODELAY on its socket, no reconnect timer, QoS 1 everywhere.
 * Rounds alternate ours/peer so that machine noise hits both alike.
 */
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { createMqttAgent, type MqttAgent } from '../modules/mqtt/index.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { createNodeEnv, type NodeEnv } from '../test/mqtt/support/node-env.js';
import { percentile, rateFigure, timeFigure, type BenchResult } from './figure.js';

const PEER = 'MQTT.js 5';
const THROUGHPUT_MESSAGES = 20_000;
const THROUGHPUT_ROUNDS = 3;
const LATENCY_SAMPLES = 2_000;
const LATENCY_ROUNDS = 2;
const PAYLOAD = new Uint8Array(64).fill(0x61);
/** Default window (100) plus default command queue (32). */
const DEFAULT_OUTSTANDING = 132;
const WIDE = 65535;

type MqttJsClient = ReturnType<typeof mqtt.connect>;

/** Default configuration (window 100, command queue 32), or a window as wide as the peer's. */
async function ourClient(env: NodeEnv, port: number, clientId: string, maxInFlight?: number): Promise<MqttAgent> {
  const agent = createMqttAgent(env.platform, maxInFlight ? { maxInFlight } : {});
  await agent.connect({ host: '127.0.0.1', port, clientId, tls: env.tls });
  return agent;
}

async function peerClient(env: NodeEnv, port: number, clientId: string): Promise<MqttJsClient> {
  const client = mqtt.connect({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port,
    clientId,
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    reconnectPeriod: 0,
    ca: env.pki.ca.certPem,
    cert: env.pki.clientRsa.certPem,
    key: env.pki.clientRsa.keyPem,
    servername: 'localhost',
    rejectUnauthorized: true,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  return client;
}

/**
 * Ours as an application would drive it: at most `outstanding` publishes not yet resolved (the window
 * plus the default command queue of 32), awaiting the oldest before publishing more.
 */
async function oursThroughput(agent: MqttAgent, topic: string, outstanding: number): Promise<number> {
  const start = performance.now();
  const pending: Promise<void>[] = [];
  let oldest = 0;
  for (let i = 0; i < THROUGHPUT_MESSAGES; i++) {
    if (i - oldest >= outstanding) await pending[oldest++];
    pending.push(agent.publish(topic, PAYLOAD, { qos: 1 }));
  }
  await Promise.all(pending.slice(oldest));
  return THROUGHPUT_MESSAGES / ((performance.now() - start) / 1000);
}

async function peerThroughput(client: MqttJsClient, topic: string): Promise<number> {
  const payload = Buffer.from(PAYLOAD);
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    let left = THROUGHPUT_MESSAGES;
    const done = (error?: Error) => {
      if (error) return reject(error);
      if (--left === 0) resolve();
    };
    for (let i = 0; i < THROUGHPUT_MESSAGES; i++) client.publish(topic, payload, { qos: 1 }, done);
  });
  return THROUGHPUT_MESSAGES / ((performance.now() - start) / 1000);
}

async function oursLatency(agent: MqttAgent, topic: string, samples: number[]): Promise<void> {
  let arrived: (() => void) | undefined;
  await agent.subscribe(topic, () => arrived?.(), { qos: 1 });
  for (let i = 0; i < LATENCY_SAMPLES + 100; i++) {
    const received = new Promise<void>((r) => (arrived = r));
    const t0 = performance.now();
    void agent.publish(topic, PAYLOAD, { qos: 1 });
    await received;
    if (i >= 100) samples.push(performance.now() - t0);
  }
  await agent.unsubscribe(topic);
}

async function peerLatency(client: MqttJsClient, topic: string, samples: number[]): Promise<void> {
  let arrived: (() => void) | undefined;
  const onMessage = (t: string) => {
    if (t === topic) arrived?.();
  };
  client.on('message', onMessage);
  await client.subscribeAsync(topic, { qos: 1 });
  const payload = Buffer.from(PAYLOAD);
  for (let i = 0; i < LATENCY_SAMPLES + 100; i++) {
    const received = new Promise<void>((r) => (arrived = r));
    const t0 = performance.now();
    client.publish(topic, payload, { qos: 1 });
    await received;
    if (i >= 100) samples.push(performance.now() - t0);
  }
  await client.unsubscribeAsync(topic);
  client.off('message', onMessage);
}

export default async function bench(): Promise<BenchResult> {
  const env = await createNodeEnv();
  const broker = await startMosquitto({
    tls: { caPem: env.pki.ca.certPem, certPem: env.pki.server.certPem, keyPem: env.pki.server.keyPem },
  });
  try {
    const ours = await ourClient(env, broker.port, 'bench-ours');
    const oursWide = await ourClient(env, broker.port, 'bench-ours-wide', WIDE);
    const peer = await peerClient(env, broker.port, 'bench-peer');
    // Warm-up: JIT and TLS session state for both.
    await oursThroughput(oursWide, 'bench/warm/ours', WIDE);
    await oursThroughput(ours, 'bench/warm/ours', DEFAULT_OUTSTANDING);
    await peerThroughput(peer, 'bench/warm/peer');

    let oursRate = 0;
    let oursWideRate = 0;
    let peerRate = 0;
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      oursWideRate = Math.max(oursWideRate, await oursThroughput(oursWide, 'bench/tp/ours', WIDE));
      peerRate = Math.max(peerRate, await peerThroughput(peer, 'bench/tp/peer'));
      oursRate = Math.max(oursRate, await oursThroughput(ours, 'bench/tp/ours', DEFAULT_OUTSTANDING));
    }
    await oursWide.disconnect();

    const oursSamples: number[] = [];
    const peerSamples: number[] = [];
    for (let round = 0; round < LATENCY_ROUNDS; round++) {
      await oursLatency(ours, `bench/rtt/ours/${round}`, oursSamples);
      await peerLatency(peer, `bench/rtt/peer/${round}`, peerSamples);
    }
    oursSamples.sort((a, b) => a - b);
    peerSamples.sort((a, b) => a - b);

    await ours.disconnect();
    await peer.endAsync();
    return {
      'mqtt QoS 1 publish throughput (window as peer: unlimited)': rateFigure(oursWideRate, 'msg/s', PEER, peerRate, 'ratio >= 1.0'),
      'mqtt QoS 1 publish throughput (AWS window: 100 in flight)': rateFigure(oursRate, 'msg/s', `${PEER} (unlimited)`, peerRate),
      'mqtt publish→receive latency p50': timeFigure(percentile(oursSamples, 50), 'ms', PEER, percentile(peerSamples, 50), 'ratio >= 0.91 (p50 <= 1.1x peer)'),
      'mqtt publish→receive latency p99': timeFigure(percentile(oursSamples, 99), 'ms', PEER, percentile(peerSamples, 99)),
    };
  } finally {
    await broker.close();
    await env.cleanup();
  }
}
