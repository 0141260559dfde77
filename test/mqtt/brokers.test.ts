/**
 * The agent against real brokers over the real Node transport: embedded aedes in-process (TCP and
 * TLS) and Debian's mosquitto with mutual TLS, including a broker restart under 1,000 QoS 1 publishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../../platform/pal/index.js';
import { createMqttAgent, SubscribeRejectedError, type MqttAgent, type MqttConnectOptions } from '../../modules/mqtt/index.js';
import { startAedes, type AedesBroker } from '../helpers/aedes-broker.js';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto.js';
import { createNodeEnv, LABELS, type NodeEnv } from './support/node-env.js';

let env: NodeEnv;
const agents: MqttAgent[] = [];
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function agentFor(config: Parameters<typeof createMqttAgent>[1] = {}): MqttAgent {
  const agent = createMqttAgent(env.platform, config);
  agents.push(agent);
  return agent;
}

function waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (condition()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

beforeAll(async () => {
  env = await createNodeEnv();
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.disconnect()));
  await env.cleanup();
});

describe('against embedded aedes', () => {
  let broker: AedesBroker;
  let tlsBroker: AedesBroker;
  beforeAll(async () => {
    broker = await startAedes({
      brokerOptions: {
        // Refuse filters under denied/ the way AWS IoT refuses an unauthorized subscription (SUBACK 0x80).
        authorizeSubscribe: (_client: unknown, sub: { topic: string }, done: (e: Error | null, s: unknown) => void) =>
          done(null, sub.topic.startsWith('denied/') ? null : sub),
      },
    });
    tlsBroker = await startAedes({
      tls: { caPem: env.pki.ca.certPem, certPem: env.pki.server.certPem, keyPem: env.pki.server.keyPem, requireClientCertificate: true },
    });
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.disconnect()));
    await broker.close();
    await tlsBroker.close();
  });

  it('connects over TCP, subscribes with wildcards, publishes QoS 1 and QoS 0 and receives its own messages', async () => {
    const agent = agentFor();
    const options: MqttConnectOptions = { host: broker.host, port: broker.port, clientId: 'aedes-loop' };
    expect(await agent.connect(options)).toEqual({ sessionPresent: false });
    const got: string[] = [];
    await agent.subscribe('dev/+/state', (m) => void got.push(`${m.topic}=${text(m.payload)}@${m.qos}`), { qos: 1 });
    await agent.publish('dev/a/state', 'on', { qos: 1 });
    await agent.publish('dev/b/state', 'off');
    await agent.publish('dev/b/other', 'ignored', { qos: 1 });
    await waitFor(() => got.length === 2, 5000, 'two messages');
    expect(got.sort()).toEqual(['dev/a/state=on@1', 'dev/b/state=off@0']);
    expect(agent.counters.sent).toBe(3);
  });

  it('connects with mutual TLS and routes between two agents', async () => {
    const publisher = agentFor({ commandQueueSize: 256 });
    const subscriber = agentFor();
    const base = { host: tlsBroker.host, port: tlsBroker.port, tls: env.tls };
    await subscriber.connect({ ...base, clientId: 'aedes-sub' });
    await publisher.connect({ ...base, clientId: 'aedes-pub' });
    const got: number[] = [];
    await subscriber.subscribe('seq/#', (m) => void got.push(Number(text(m.payload))), { qos: 1 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => publisher.publish('seq/x', String(i), { qos: 1 })));
    await waitFor(() => got.length === 300, 10_000, '300 messages');
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('loses none of 1,000 QoS 1 messages across an aedes restart from its persistence; the broker receives them in order', async () => {
    // Order is checked where the agent controls it: the order in which the broker receives the
    // publisher's messages. (After a restart aedes forwards live messages before replaying what it
    // queued for an offline subscriber, so arrival order at the subscriber is aedes' choice.)
    const receivedByBroker: number[] = [];
    const persistent = await startAedes({
      brokerOptions: {
        published: (packet: { topic: string; payload: Uint8Array }, client: { id: string } | null, done: () => void) => {
          if (client?.id === 'aedes-kill-pub' && packet.topic === 'kill/seq') receivedByBroker.push(Number(text(packet.payload)));
          done();
        },
      },
    });
    try {
      const reconnect = { baseMs: 100, capMs: 400 };
      const subscriber = agentFor({ receiveQueueSize: 256 });
      const publisher = agentFor({ commandQueueSize: 1000, offlineQueueSize: 1000 });
      const base = { host: persistent.host, port: persistent.port, reconnect };
      await subscriber.connect({ ...base, clientId: 'aedes-kill-sub', cleanSession: false });
      const arrivals: number[] = [];
      await subscriber.subscribe('kill/seq', (m) => void arrivals.push(Number(text(m.payload))), { qos: 1 });
      await publisher.connect({ ...base, clientId: 'aedes-kill-pub' });
      const total = 1000;
      const published: Promise<void>[] = [];
      let restart: Promise<void> | undefined;
      for (let i = 0; i < total; i++) {
        published.push(publisher.publish('kill/seq', String(i), { qos: 1 }));
        if (i % 10 === 9) await new Promise((r) => setTimeout(r, 2));
        if (i === 300) restart = persistent.restart({ keepState: true });
      }
      await restart;
      await Promise.all(published);
      await waitFor(() => new Set(arrivals).size === total, 30_000, `all ${total} messages at the subscriber`);
      const firstSeen: number[] = [];
      const seen = new Set<number>();
      for (const n of receivedByBroker) if (!seen.has(n)) (seen.add(n), firstSeen.push(n));
      expect(firstSeen).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(publisher.counters.reconnects).toBe(1);
      expect(subscriber.counters.reconnects).toBe(1);
    } finally {
      await Promise.all(agents.map((a) => a.disconnect()));
      await persistent.close();
    }
  }, 60_000);

  it('rejects a subscription the broker refuses (SUBACK 0x80) with SubscribeRejectedError', async () => {
    const agent = agentFor();
    await agent.connect({ host: broker.host, port: broker.port, clientId: 'aedes-subrej' });
    const error = await agent.subscribe('denied/x', () => {}, { qos: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscribeRejectedError);
    expect(error).toMatchObject({ filter: 'denied/x', returnCode: 0x80 });
    await expect(agent.subscribe('allowed/x', () => {})).resolves.toBeUndefined();
    expect(agent.connected).toBe(true);
  });

  it('refuses an oversized inbound PUBLISH from the broker before buffering it, and recovers', async () => {
    const small = agentFor({ maxInboundPacketBytes: 1024 });
    const sender = agentFor();
    const reasons: string[] = [];
    small.addConnectionListener({ onDisconnected: (r) => void reasons.push(r?.name ?? 'none') });
    await small.connect({ host: broker.host, port: broker.port, clientId: 'aedes-small', reconnect: { baseMs: 50, capMs: 100 } });
    await sender.connect({ host: broker.host, port: broker.port, clientId: 'aedes-sender' });
    const got: number[] = [];
    await small.subscribe('big/+', (m) => void got.push(m.payload.length));
    await sender.publish('big/one', new Uint8Array(64 * 1024));
    await waitFor(() => reasons.length === 1, 5000, 'the oversize refusal');
    expect(reasons).toEqual(['InboundPacketTooLargeError']);
    await waitFor(() => small.connected, 10_000, 'reconnect');
    await waitFor(() => small.counters.reconnects === 1 && sender.connected, 5000, 'resubscribed');
    await new Promise((r) => setTimeout(r, 100));
    await sender.publish('big/two', new Uint8Array(100));
    await waitFor(() => got.length === 1, 5000, 'the small message');
    expect(got).toEqual([100]);
  });

  it('resubscribes and redelivers after the broker restarts with no session', async () => {
    const agent = agentFor();
    const downs: string[] = [];
    const ups: boolean[] = [];
    agent.addConnectionListener({ onConnected: (s) => ups.push(s), onDisconnected: (r) => downs.push(r?.name ?? 'none') });
    await agent.connect({ host: broker.host, port: broker.port, clientId: 'aedes-restart', reconnect: { baseMs: 50, capMs: 200 } });
    const got: string[] = [];
    await agent.subscribe('r/t', (m) => void got.push(text(m.payload)), { qos: 1 });
    await broker.restart();
    await waitFor(() => ups.length === 2, 10_000, 'reconnect');
    expect(ups).toEqual([false, false]);
    expect(downs).toEqual(['ConnectionLostError']);
    expect(agent.counters.reconnects).toBe(1);
    await agent.publish('r/t', 'after restart', { qos: 1 });
    await waitFor(() => got.length === 1, 5000, 'message after restart');
    expect(got).toEqual(['after restart']);
  });
});

describe('against mosquitto with mutual TLS', () => {
  let mosquitto: MosquittoBroker;
  beforeAll(async () => {
    mosquitto = await startMosquitto({
      persistence: true,
      tls: { caPem: env.pki.ca.certPem, certPem: env.pki.server.certPem, keyPem: env.pki.server.keyPem },
    });
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.disconnect()));
    await mosquitto.close();
  });

  it('connects with the device certificate, subscribes, publishes and receives', async () => {
    const agent = agentFor();
    await agent.connect({ host: mosquitto.host, port: mosquitto.port, clientId: 'mosq-1', tls: env.tls });
    const got: string[] = [];
    await agent.subscribe('things/+/shadow', (m) => void got.push(text(m.payload)), { qos: 1 });
    await agent.publish('things/t1/shadow', '{"on":true}', { qos: 1 });
    await waitFor(() => got.length === 1, 5000, 'message');
    expect(got).toEqual(['{"on":true}']);
  });

  it('speaks MQTT 5 when configured (protocolVersion 5)', async () => {
    const agent = agentFor({ protocolVersion: 5 });
    await agent.connect({ host: mosquitto.host, port: mosquitto.port, clientId: 'mosq-v5', tls: env.tls });
    const got: string[] = [];
    await agent.subscribe('things/v5/#', (m) => void got.push(`${m.topic}:${text(m.payload)}:${m.qos}`), { qos: 1 });
    await agent.publish('things/v5/a', 'five', { qos: 1 });
    await agent.publish('things/v5/b', 'zero');
    await waitFor(() => got.length === 2, 5000, 'two v5 messages');
    expect(got.sort()).toEqual(['things/v5/a:five:1', 'things/v5/b:zero:0']);
  });

  it('fails connect with a certificate error, without retrying, when the client certificate is from another CA', async () => {
    const agent = agentFor();
    const error = await agent
      .connect({
        host: mosquitto.host,
        port: mosquitto.port,
        clientId: 'mosq-foreign',
        tls: { ...env.tls, certificateLabel: LABELS.foreign, privateKeyLabel: LABELS.foreign },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('certificate-rejected');
  });

  it('delivers every one of 1,000 QoS 1 messages, in order per publisher, across a broker restart', async () => {
    const reconnect = { baseMs: 100, capMs: 400 };
    const subscriber = agentFor({ receiveQueueSize: 256 });
    const publisher = agentFor({ commandQueueSize: 1000, offlineQueueSize: 1000 });
    const base = { host: mosquitto.host, port: mosquitto.port, tls: env.tls, reconnect };
    // A persistent session, so messages queued for the subscriber survive the restart.
    await subscriber.connect({ ...base, clientId: 'kill-sub', cleanSession: false });
    const arrivals: number[] = [];
    await subscriber.subscribe('kill/seq', (m) => void arrivals.push(Number(text(m.payload))), { qos: 1 });
    await publisher.connect({ ...base, clientId: 'kill-pub' });

    // Publish at a pace so that publishing spans the stop and the restart: some messages are in
    // flight when the broker goes, some are made while it is down (offline queue), the rest after.
    const total = 1000;
    const published: Promise<void>[] = [];
    let restart: Promise<void> | undefined;
    let wasDown = false;
    for (let i = 0; i < total; i++) {
      published.push(publisher.publish('kill/seq', String(i), { qos: 1 }));
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 2));
      if (i === 300) {
        restart = (async () => {
          await mosquitto.stop('SIGTERM');
          wasDown = true;
          await new Promise((r) => setTimeout(r, 300));
          await mosquitto.start();
        })();
      }
    }
    await restart;
    await Promise.all(published);
    expect(wasDown).toBe(true);
    await waitFor(() => new Set(arrivals).size === total, 30_000, `all ${total} messages`);

    const firstSeen: number[] = [];
    const seen = new Set<number>();
    for (const n of arrivals) if (!seen.has(n)) (seen.add(n), firstSeen.push(n));
    expect(firstSeen).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(publisher.counters.reconnects).toBeGreaterThanOrEqual(1);
    expect(subscriber.counters.reconnects).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
