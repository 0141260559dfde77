import { describe, expect, it } from 'vitest';
import { TransportError } from '../../platform/pal/index.js';
import {
  AckTimeoutError,
  ClientClosedError,
  ConnectRefusedError,
  createMqttAgent,
  InboundPacketTooLargeError,
  KeepAliveTimeoutError,
  LimitExceededError,
  MalformedPacketError,
  QueueFullError,
  SubscribeRejectedError,
  type InboundMessage,
  type MqttAgentConfig,
  type MqttConnectOptions,
} from '../../modules/mqtt/index.js';
import { SdkError } from '../../modules/util/errors.js';
import { advance, createVirtualPlatform, settle } from './support/virtual-platform.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

function setup(config: MqttAgentConfig = {}) {
  const platform = createVirtualPlatform();
  const agent = createMqttAgent(platform, config);
  const events: string[] = [];
  const reasons: Array<Error | undefined> = [];
  agent.addConnectionListener({
    onConnected: (sessionPresent) => events.push(`up:${sessionPresent}`),
    onDisconnected: (reason) => {
      events.push(`down:${reason?.name ?? 'none'}`);
      reasons.push(reason);
    },
  });
  const options: MqttConnectOptions = { host: 'broker', port: 1883, clientId: 'dev-1' };
  return { platform, broker: platform.broker, agent, events, reasons, options };
}

async function connected(config: MqttAgentConfig = {}, extra: Partial<MqttConnectOptions> = {}) {
  const s = setup(config);
  const result = s.agent.connect({ ...s.options, ...extra });
  await settle();
  expect(await result).toEqual({ sessionPresent: false });
  return s;
}

describe('MqttAgent: connect', () => {
  it('sends CONNECT with the client id, a clamped keep-alive and a clean session, then reports connected', async () => {
    const { broker, agent, events } = await connected({}, { keepAliveSeconds: 5 });
    const [connect] = broker.packetsOf('connect');
    expect(connect).toMatchObject({ clientId: 'dev-1', keepalive: 30, clean: true });
    expect(agent.connected).toBe(true);
    expect(events).toEqual(['up:false']);
  });

  it('clamps keep-alive above 1200 s (and 0) to 1200 s, and honours the explicit test keep-alive', async () => {
    const a = await connected({}, { keepAliveSeconds: 5000 });
    expect(a.broker.packetsOf('connect')[0]!.keepalive).toBe(1200);
    const b = await connected({}, { keepAliveSeconds: 0 });
    expect(b.broker.packetsOf('connect')[0]!.keepalive).toBe(1200);
    const c = await connected({}, { testKeepAliveSeconds: 1 });
    expect(c.broker.packetsOf('connect')[0]!.keepalive).toBe(1);
  });

  it('rejects at once with ConnectRefusedError on a not-authorized CONNACK and does not retry', async () => {
    const { broker, agent, options } = setup();
    broker.connackCode = 5;
    const result = agent.connect(options);
    await settle();
    await expect(result).rejects.toBeInstanceOf(ConnectRefusedError);
    await expect(result).rejects.toThrow(/return code 5 \(not authorized\)/);
    expect(broker.connectAttempts).toBe(1);
    expect(agent.connected).toBe(false);
  });

  it('refuses a client id above 128 bytes, counting UTF-8 bytes', async () => {
    const { agent, options } = setup();
    await expect(agent.connect({ ...options, clientId: 'é'.repeat(65) })).rejects.toMatchObject({
      name: 'LimitExceededError',
      limit: 'client id length in bytes',
      max: 128,
      actual: 130,
    });
  });

  it('refuses a client id starting with "$" (reserved by AWS IoT for its own ids)', async () => {
    const { agent, options, broker } = setup();
    await expect(agent.connect({ ...options, clientId: '$aws-thing' })).rejects.toThrow(/reserved by AWS IoT/);
    expect(broker.connectAttempts).toBe(0);
  });

  it('retries an unreachable broker with backoff, at most one CONNECT per second, and gives up after maxAttempts', async () => {
    const { platform, broker, agent, options } = setup();
    broker.failConnect = new TransportError('refused', 'connection refused');
    broker.keepFailing = true;
    const attemptsAt: number[] = [];
    const original = broker.connect.bind(broker);
    broker.connect = (o) => {
      attemptsAt.push(platform.time.now);
      return original(o);
    };
    const result = agent.connect({ ...options, reconnect: { baseMs: 100, capMs: 400, maxAttempts: 4 } });
    const outcome = result.then(
      () => 'resolved',
      (e: Error) => e,
    );
    await advance(platform, 60_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(TransportError);
    expect(attemptsAt).toHaveLength(5); // the first try plus 4 retries
    for (let i = 1; i < attemptsAt.length; i++) {
      expect(attemptsAt[i]! - attemptsAt[i - 1]!).toBeGreaterThanOrEqual(1000);
    }
  });

  it('spaces CONNECTs of one client id a second apart across agents on one platform, not across client ids', async () => {
    const { platform, broker, agent, options } = setup();
    const times: number[] = [];
    const original = broker.connect.bind(broker);
    broker.connect = (o) => {
      times.push(platform.time.now);
      return original(o);
    };
    await agent.connect(options);
    await settle();
    await agent.disconnect();
    // a second agent on the same platform: same client id waits out the second, another id does not
    const second = createMqttAgent(platform);
    const third = createMqttAgent(platform);
    const connecting = second.connect(options);
    await third.connect({ ...options, clientId: 'claim-1' });
    await advance(platform, 1500);
    await connecting;
    // one transport connection per CONNECT, in order
    const attempts = broker.packetsOf('connect').map((p, i) => [p.clientId, times[i]!] as const);
    expect(attempts.map(([id]) => id)).toEqual(['dev-1', 'claim-1', 'dev-1']);
    const at = (id: string, n = 0) => attempts.filter(([i]) => i === id)[n]![1];
    expect(at('claim-1') - at('dev-1', 0)).toBeLessThan(1000);
    expect(at('dev-1', 1) - at('dev-1', 0)).toBeGreaterThanOrEqual(1000);
    await second.disconnect();
    await third.disconnect();
  });

  it('keeps growing the backoff while connections drop at once, and resets it after a stable connection', async () => {
    const { platform, broker, agent, options } = setup();
    await agent.connect({ ...options, reconnect: { baseMs: 100, capMs: 5000, stableAfterMs: 10_000 } });
    for (let i = 1; i <= 3; i++) {
      broker.current!.drop();
      await advance(platform, 6000);
      expect(agent.connected).toBe(true);
      expect(agent.backoffAttempts).toBe(i); // dropped before it was stable: no reset
    }
    await advance(platform, 10_000);
    expect(agent.backoffAttempts).toBe(0);
    expect(agent.counters.reconnects).toBe(3);
  });

  it('times out a broker that never answers CONNECT and retries', async () => {
    const { platform, broker, agent, options } = setup();
    broker.answerConnect = false;
    const result = agent.connect({ ...options, connectTimeoutMs: 2000, reconnect: { maxAttempts: 0 } });
    const outcome = result.catch((e: Error) => e);
    await advance(platform, 2500);
    expect(await outcome).toMatchObject({ name: 'TimeoutError', timeoutMs: 2000 });
  });
});

describe('MqttAgent: publish', () => {
  it('resolves a QoS 1 publish only on its PUBACK', async () => {
    const { broker, agent } = await connected();
    broker.autoPuback = false;
    let done = false;
    const p = agent.publish('a/b', 'hello', { qos: 1 }).then(() => (done = true));
    await settle();
    const [publish] = broker.packetsOf('publish');
    expect(publish).toMatchObject({ topic: 'a/b', qos: 1, dup: false });
    expect(text(publish!.payload)).toBe('hello');
    expect(done).toBe(false);
    broker.current!.send(Uint8Array.of(0x40, 2, publish!.messageId! >> 8, publish!.messageId! & 0xff));
    await p;
    expect(done).toBe(true);
    expect(agent.counters.sent).toBe(1);
  });

  it('resolves a QoS 0 publish once written, with retain passed through', async () => {
    const { broker, agent } = await connected();
    await agent.publish('t', bytes('x'), { retain: true });
    expect(broker.packetsOf('publish')[0]).toMatchObject({ qos: 0, retain: true, topic: 't' });
  });

  it('keeps at most maxInFlight QoS 1 publishes unacknowledged and refills the window in order, in batches, as PUBACKs come', async () => {
    const { broker, agent } = await connected({ maxInFlight: 3 });
    broker.autoPuback = false;
    const all = Array.from({ length: 8 }, (_, i) => agent.publish('q', String(i), { qos: 1 }));
    await settle();
    expect(broker.packetsOf('publish')).toHaveLength(3);
    expect(agent.inFlight).toBe(3);
    const ack = (id: number) => broker.current!.send(Uint8Array.of(0x40, 2, id >> 8, id & 0xff));
    ack(broker.packetsOf('publish')[1]!.messageId!);
    await settle();
    // Refills happen in batches: nothing until the window is half empty, then up to full again.
    expect(broker.packetsOf('publish')).toHaveLength(3);
    ack(broker.packetsOf('publish')[0]!.messageId!);
    await settle();
    expect(broker.packetsOf('publish')).toHaveLength(5);
    expect(agent.inFlight).toBe(3);
    broker.autoPuback = true;
    for (const p of broker.packetsOf('publish')) ack(p.messageId!);
    await settle();
    // Later ones get auto-acked; the remaining window drains.
    await Promise.all(all);
    expect(broker.packetsOf('publish').map((p) => text(p.payload))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    const ids = broker.packetsOf('publish').slice(0, 3).map((p) => p.messageId);
    expect(new Set(ids).size).toBe(3);
  });

  it('never reports the command queue full while the window has room (a batched refill gives way)', async () => {
    const { broker, agent } = await connected({ maxInFlight: 4, commandQueueSize: 2 });
    broker.autoPuback = false;
    const all = Array.from({ length: 6 }, (_, i) => agent.publish('w', String(i), { qos: 1 }));
    await settle();
    expect(agent.inFlight).toBe(4); // 4 on the wire, 2 queued: the queue is full
    const first = broker.packetsOf('publish')[0]!.messageId!;
    broker.current!.send(Uint8Array.of(0x40, 2, first >> 8, first & 0xff));
    await settle();
    expect(agent.inFlight).toBe(3); // batching holds the refill back (3 > half of 4)...
    // ...but a new publish is accepted: the full queue makes room by sending into the window.
    const extra = agent.publish('w', '6', { qos: 1 });
    let rejected: unknown;
    extra.catch((error: unknown) => (rejected = error));
    await settle();
    expect(rejected).toBeUndefined();
    expect(broker.packetsOf('publish')).toHaveLength(5);
    broker.autoPuback = true;
    for (const p of broker.packetsOf('publish').slice(1)) broker.current!.send(Uint8Array.of(0x40, 2, p.messageId! >> 8, p.messageId! & 0xff));
    await Promise.all([...all, extra]);
    expect(broker.packetsOf('publish').map((p) => text(p.payload))).toEqual(['0', '1', '2', '3', '4', '5', '6']);
  });

  it('answers at once with QueueFullError when the command queue is full, and never grows it', async () => {
    const { broker, agent } = await connected({ maxInFlight: 1, commandQueueSize: 2 });
    broker.autoPuback = false;
    const first = agent.publish('q', '0', { qos: 1 });
    const queued = [agent.publish('q', '1', { qos: 1 }), agent.publish('q', '2', { qos: 1 })];
    await expect(agent.publish('q', '3', { qos: 1 })).rejects.toMatchObject({
      name: 'QueueFullError',
      queue: 'command',
      capacity: 2,
    });
    void first;
    void queued;
  });

  it('holds publishes made while offline in a bounded queue and sends them in order after connecting', async () => {
    const { broker, agent, options } = setup({ offlineQueueSize: 3 });
    const early = [agent.publish('o', 'a', { qos: 1 }), agent.publish('o', 'b', { qos: 0 }), agent.publish('o', 'c', { qos: 1 })];
    await expect(agent.publish('o', 'd', { qos: 1 })).rejects.toBeInstanceOf(QueueFullError);
    expect(broker.packetsOf('publish')).toHaveLength(0);
    await agent.connect(options);
    await Promise.all(early);
    expect(broker.packetsOf('publish').map((p) => text(p.payload))).toEqual(['a', 'b', 'c']);
  });

  it('sends a queued publish with the payload as it was when publish() was called', async () => {
    const { broker, agent, options } = setup();
    const buffer = new TextEncoder().encode('first');
    const queued = agent.publish('snap', buffer, { qos: 1 });
    buffer.set(new TextEncoder().encode('XXXXX'));
    await agent.connect(options);
    await queued;
    expect(text(broker.packetsOf('publish')[0]!.payload)).toBe('first');
  });

  it('enforces AWS IoT limits before sending, naming the limit', async () => {
    const { broker, agent } = await connected();
    await expect(agent.publish('t', new Uint8Array(128 * 1024 + 1))).rejects.toMatchObject({
      name: 'LimitExceededError',
      limit: 'payload size in bytes',
      max: 131072,
      actual: 131073,
    });
    await expect(agent.publish('t', new Uint8Array(128 * 1024))).resolves.toBeUndefined();
    await expect(agent.publish('ü'.repeat(129), 'x')).rejects.toMatchObject({ limit: 'topic length in bytes', actual: 258 });
    await expect(agent.publish('a/b/c/d/e/f/g/h/i', 'x')).rejects.toMatchObject({ limit: 'topic slashes', max: 7, actual: 8 });
    // Basic Ingest's $aws/rules/<rule>/ prefix does not count.
    await expect(agent.publish('$aws/rules/r/a/b/c/d/e/f/g/h', 'x')).resolves.toBeUndefined();
    await expect(agent.subscribe('a/b/c/d/e/f/g/h/#', () => {})).rejects.toBeInstanceOf(LimitExceededError);
    await expect(agent.publish('a/+/c', 'x')).rejects.toThrow(/without wildcards/);
    await expect(agent.subscribe('a/b#', () => {})).rejects.toThrow(/"#" only as the whole last level/);
    expect(broker.packetsOf('publish')).toHaveLength(2);
  });
});

describe('MqttAgent: subscribe and dispatch', () => {
  it('calls every handler of every matching filter and isolates a throwing handler', async () => {
    const { broker, agent } = await connected();
    const seen: string[] = [];
    await agent.subscribe('home/+/temp', (m) => void seen.push(`plus:${m.topic}`), { qos: 1 });
    await agent.subscribe('home/#', () => {
      throw new Error('handler bug');
    });
    await agent.subscribe('home/#', (m) => void seen.push(`hash:${text(m.payload)}`));
    await agent.subscribe('#', (m) => void seen.push(`all:${m.topic}`));
    expect(broker.packetsOf('subscribe')).toHaveLength(3); // the second home/# handler needed no SUBSCRIBE
    broker.deliver('home/kitchen/temp', bytes('21'), 1);
    broker.deliver('$aws/things/x/jobs/notify', bytes('j'), 0);
    broker.deliver('other', bytes('o'), 0);
    await settle();
    expect(seen).toEqual(['plus:home/kitchen/temp', 'hash:21', 'all:home/kitchen/temp', 'all:other']);
    expect(agent.handlerErrors).toBe(1);
    expect(agent.counters.received).toBe(3);
    expect(broker.unackedToClient.size).toBe(0); // the QoS 1 message was acknowledged
  });

  it('rejects with SubscribeRejectedError on a 0x80 return code and keeps no handler for it', async () => {
    const { broker, agent } = await connected();
    broker.subackCode = (filter, qos) => (filter.startsWith('forbidden') ? 0x80 : qos);
    const handler = () => {
      throw new Error('must not be called');
    };
    await expect(agent.subscribe('forbidden/x', handler, { qos: 1 })).rejects.toBeInstanceOf(SubscribeRejectedError);
    broker.deliver('forbidden/x', bytes('no'), 0);
    await settle();
    expect(agent.handlerErrors).toBe(0);
  });

  it('sends UNSUBSCRIBE only when the last handler of a filter goes', async () => {
    const { broker, agent } = await connected();
    const h1 = () => {};
    const h2 = () => {};
    await agent.subscribe('a/b', h1);
    await agent.subscribe('a/b', h2);
    await agent.unsubscribe('a/b', h1);
    expect(broker.packetsOf('unsubscribe')).toHaveLength(0);
    await agent.unsubscribe('a/b', h2);
    expect(broker.packetsOf('unsubscribe')[0]!.unsubscriptions).toEqual(['a/b']);
  });

  it('acknowledges a QoS 1 message after its async handler finished, and drops (unacknowledged) when the receive queue is full', async () => {
    const { broker, agent } = await connected({ receiveQueueSize: 2 });
    const release: Array<() => void> = [];
    const got: string[] = [];
    await agent.subscribe('slow', (m) => {
      got.push(text(m.payload));
      return new Promise<void>((r) => release.push(r));
    }, { qos: 1 });
    for (const n of ['1', '2', '3', '4']) broker.deliver('slow', bytes(n), 1);
    await settle();
    // '1' is being handled; '2' and '3' wait in the queue; '4' found it full.
    expect(got).toEqual(['1']);
    expect(agent.counters.dropped).toBe(1);
    expect(broker.unackedToClient.size).toBe(4);
    release.shift()!();
    await settle();
    expect(broker.unackedToClient.size).toBe(3);
    expect(got).toEqual(['1', '2']);
    while (release.length) {
      release.shift()!();
      await settle();
    }
    expect(got).toEqual(['1', '2', '3']);
    expect([...broker.unackedToClient.keys()]).toEqual([4]);
  });
});

describe('MqttAgent: connection loss', () => {
  it('redelivers unacknowledged QoS 1 publishes after reconnect with DUP set, in order, then the offline ones', async () => {
    const { platform, broker, agent, events } = await connected({}, { reconnect: { baseMs: 10, capMs: 20 } });
    broker.autoPuback = false;
    const inflight = ['1', '2', '3'].map((n) => agent.publish('r', n, { qos: 1 }));
    await settle();
    broker.current!.drop();
    await settle();
    expect(agent.connected).toBe(false);
    const offline = agent.publish('r', '4', { qos: 1 });
    broker.autoPuback = true;
    broker.sessionPresent = true;
    await advance(platform, 1500);
    expect(agent.connected).toBe(true);
    await Promise.all([...inflight, offline]);
    const second = broker.connections[1]!.packets.filter((p) => p.cmd === 'publish');
    expect(second.map((p) => [text(p.payload), p.dup])).toEqual([
      ['1', true],
      ['2', true],
      ['3', true],
      ['4', false],
    ]);
    expect(second.slice(0, 3).map((p) => p.messageId)).toEqual(
      broker.connections[0]!.packets.filter((p) => p.cmd === 'publish').map((p) => p.messageId),
    );
    expect(broker.connections[1]!.packets[0]).toMatchObject({ cmd: 'connect', clean: false });
    expect(agent.counters).toMatchObject({ retransmitted: 3, reconnects: 1 });
    expect(events).toEqual(['up:false', 'down:ConnectionLostError', 'up:true']);
  });

  it('resubscribes everything when the broker kept no session, and nothing when it did', async () => {
    const { platform, broker, agent } = await connected({}, { reconnect: { baseMs: 10, capMs: 20 } });
    await agent.subscribe('x/1', () => {}, { qos: 1 });
    await agent.subscribe('x/2', () => {});
    broker.current!.drop();
    broker.sessionPresent = false;
    await advance(platform, 1500);
    const resub = broker.connections[1]!.packets.filter((p) => p.cmd === 'subscribe');
    expect(resub.flatMap((p) => p.subscriptions)).toEqual([
      { topic: 'x/1', qos: 1 },
      { topic: 'x/2', qos: 0 },
    ]);
    broker.current!.drop();
    broker.sessionPresent = true;
    await advance(platform, 1500);
    expect(broker.connections[2]!.packets.filter((p) => p.cmd === 'subscribe')).toHaveLength(0);
    // Still routed after the reconnects.
    const got: string[] = [];
    await agent.subscribe('x/1', (m) => void got.push(text(m.payload)));
    broker.deliver('x/1', bytes('after'), 0);
    await settle();
    expect(got).toEqual(['after']);
  });

  it('resubscribes at most 8 filters per SUBSCRIBE (AWS IoT limit)', async () => {
    const { platform, broker, agent } = await connected({}, { reconnect: { baseMs: 10, capMs: 20 } });
    for (let i = 0; i < 19; i++) await agent.subscribe(`f/${i}`, () => {});
    broker.current!.drop();
    await advance(platform, 1500);
    const resub = broker.connections[1]!.packets.filter((p) => p.cmd === 'subscribe');
    expect(resub.map((p) => p.subscriptions!.length)).toEqual([8, 8, 3]);
    expect(resub.flatMap((p) => p.subscriptions!.map((x) => x.topic))).toEqual(Array.from({ length: 19 }, (_, i) => `f/${i}`));
  });

  it('refuses a 51st topic filter on a connection with a typed error, sending nothing (AWS IoT limit)', async () => {
    const { broker, agent } = await connected();
    for (let i = 0; i < 50; i++) await agent.subscribe(`f/${i}`, () => {});
    const before = broker.current!.packets.length;
    const error = await agent.subscribe('f/50', () => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect((error as Error).message).toBe('subscriptions per connection exceeds 50: got 51');
    expect(broker.current!.packets.length).toBe(before);
    // another handler on a filter already subscribed is not a new subscription; freeing one makes room
    await agent.subscribe('f/7', () => {});
    await agent.unsubscribe('f/0');
    await agent.subscribe('f/50', () => {});
  });

  it('sends a subscribe made while offline after connecting, ahead of offline publishes', async () => {
    const { broker, agent, options } = setup();
    const got: string[] = [];
    const subscribed = agent.subscribe('o/#', (m) => void got.push(text(m.payload)), { qos: 1 });
    const published = agent.publish('o/x', 'queued', { qos: 1 });
    await agent.connect(options);
    await Promise.all([subscribed, published]);
    await settle();
    expect(broker.received.map((p) => p.cmd)).toEqual(['connect', 'subscribe', 'publish', 'puback']);
    expect(got).toEqual(['queued']); // the scripted broker routed it back through the new subscription
  });

  it('sends PINGREQ when idle and reconnects when PINGRESP does not come', async () => {
    const { platform, broker, agent, reasons } = await connected({}, { testKeepAliveSeconds: 2, reconnect: { baseMs: 10, capMs: 20 } });
    await advance(platform, 2000);
    expect(broker.packetsOf('pingreq').length).toBeGreaterThanOrEqual(1);
    expect(agent.connected).toBe(true);
    broker.answerPings = false;
    await advance(platform, 5000);
    expect(reasons.some((r) => r instanceof KeepAliveTimeoutError)).toBe(true);
    broker.answerPings = true;
    await advance(platform, 2000);
    expect(agent.connected).toBe(true);
    expect(broker.connections.length).toBeGreaterThanOrEqual(2);
  });

  it('reconnects and redelivers when a PUBACK does not come within ackTimeoutMs', async () => {
    const { platform, broker, agent, reasons } = await connected({ ackTimeoutMs: 5000 }, { reconnect: { baseMs: 10, capMs: 20 } });
    broker.autoPuback = false;
    let done = false;
    const p = agent.publish('lost/ack', 'x', { qos: 1 }).then(() => (done = true));
    await advance(platform, 4000);
    expect(done).toBe(false);
    expect(broker.connections).toHaveLength(1);
    broker.autoPuback = true;
    await advance(platform, 20_000);
    await p;
    expect(reasons[0]).toBeInstanceOf(AckTimeoutError);
    const resent = broker.connections[1]!.packets.find((q) => q.cmd === 'publish');
    expect(resent).toMatchObject({ topic: 'lost/ack', dup: true });
  });

  it('stays connected through an idle hour, the broker hearing from it at least once per keep-alive (MQTT.js #1861)', async () => {
    const { platform, broker, agent, reasons } = await connected({}, { keepAliveSeconds: 60 });
    const heardAt: number[] = [platform.time.now];
    broker.onPacket = () => void heardAt.push(platform.time.now);
    await advance(platform, 3_600_000);
    expect(agent.connected).toBe(true);
    expect(reasons).toEqual([]);
    const gaps = heardAt.slice(1).map((t, i) => t - heardAt[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(60_000);
    expect(broker.packetsOf('pingreq').length).toBeGreaterThanOrEqual(60);
    expect(broker.packetsOf('pingreq').length).toBeLessThanOrEqual(90);
  });

  it('does not ping while publishes keep the connection busy', async () => {
    const { platform, broker, agent } = await connected({}, { testKeepAliveSeconds: 4 });
    for (let i = 0; i < 20; i++) {
      await agent.publish('busy', 'x');
      await advance(platform, 500);
    }
    expect(broker.packetsOf('pingreq')).toHaveLength(0);
  });

  it('refuses an inbound packet whose declared length exceeds the maximum, before buffering it, and reconnects', async () => {
    const { platform, broker, agent, reasons } = await connected({ maxInboundPacketBytes: 1024 }, { reconnect: { baseMs: 10, capMs: 20 } });
    // PUBLISH header declaring 2,000,000 bytes of which only 3 arrive.
    broker.inject(Uint8Array.of(0x30, 0x80, 0x89, 0x7a, 0, 1, 0x61));
    await settle();
    expect(reasons[0]).toBeInstanceOf(InboundPacketTooLargeError);
    expect(reasons[0]).toMatchObject({ max: 1024, declared: 2_000_004 });
    await advance(platform, 1500);
    expect(agent.connected).toBe(true);
  });

  it('closes on malformed bytes with MalformedPacketError and reconnects', async () => {
    const { platform, broker, agent, reasons } = await connected({}, { reconnect: { baseMs: 10, capMs: 20 } });
    broker.inject(Uint8Array.of(0x60, 0x02, 0x00, 0x01)); // PUBREL with reserved flags 0000 instead of 0010
    await settle();
    expect(reasons[0]).toBeInstanceOf(MalformedPacketError);
    await advance(platform, 1500);
    expect(agent.connected).toBe(true);
  });

  it('disconnect() sends DISCONNECT and rejects in-flight and queued work with ClientClosedError', async () => {
    const { broker, agent } = await connected({ maxInFlight: 1 });
    broker.autoPuback = false;
    const a = agent.publish('d', '1', { qos: 1 });
    const b = agent.publish('d', '2', { qos: 1 });
    await settle();
    await agent.disconnect();
    await expect(a).rejects.toBeInstanceOf(ClientClosedError);
    await expect(b).rejects.toBeInstanceOf(ClientClosedError);
    expect(broker.packetsOf('disconnect')).toHaveLength(1);
    expect(agent.connected).toBe(false);
  });

  it('stops after maxAttempts consecutive failures and rejects offline publishes with a typed error', async () => {
    const { platform, broker, agent, reasons } = await connected({}, { reconnect: { baseMs: 10, capMs: 20, maxAttempts: 2 } });
    broker.failConnect = new TransportError('unreachable', 'no route');
    broker.keepFailing = true;
    broker.current!.drop();
    await settle();
    const queued = agent.publish('z', 'x', { qos: 1 });
    await advance(platform, 10_000);
    await expect(queued).rejects.toBeInstanceOf(ClientClosedError);
    expect(reasons[reasons.length - 1]).toBeInstanceOf(ClientClosedError);
    expect(reasons.every((r) => r instanceof SdkError)).toBe(true);
  });
});

describe('inbound message shape', () => {
  it('passes topic, payload, qos, retain and dup to handlers', async () => {
    const { broker, agent } = await connected();
    const got: InboundMessage[] = [];
    await agent.subscribe('s', (m) => void got.push(m), { qos: 1 });
    broker.deliver('s', bytes('p'), 1, { retain: true, dup: true });
    await settle();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ topic: 's', qos: 1, retain: true, dup: true });
    expect(got[0]!.payload).toBeInstanceOf(Uint8Array);
    expect(text(got[0]!.payload)).toBe('p');
  });
});
