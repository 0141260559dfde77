// The MQTT agent inside XS, bundled like the Moddable build (mqtt-packet with its shims, through
// modules/mqtt/packet-codec.ts which sets cacheNumbers = false). The transport is the scripted broker
// test double (test/mqtt/support/scripted-broker.ts), which answers on promise jobs; reconnect
// backoff runs on the lane's virtual timers.
import { scenario } from '../harness.js';
import { createLanePlatform } from '../lane-platform.js';
import { createMqttAgent, type MqttAgent } from '../../../modules/mqtt/index.js';
import type { Platform } from '../../../platform/pal/index.js';
import { ScriptedBroker } from '../../mqtt/support/scripted-broker.js';

function setup(): { agent: MqttAgent; broker: ScriptedBroker; platform: Platform } {
  const lane = createLanePlatform();
  const broker = new ScriptedBroker();
  const platform = { ...lane, transport: broker } as unknown as Platform;
  const agent = createMqttAgent(platform);
  return { agent, broker, platform };
}

const decoder = new TextDecoder();

scenario('mqtt agent: connect, subscribe, QoS 1 publish, drop, reconnect and redeliver in order with DUP', async (t) => {
  const { agent, broker } = setup();
  const ups: boolean[] = [];
  agent.addConnectionListener({ onConnected: (sessionPresent) => ups.push(sessionPresent) });
  const { sessionPresent } = await agent.connect({ host: 'broker.local', port: 8883, clientId: 'xs-device', reconnect: { baseMs: 100, capMs: 400 } });
  t.equal(sessionPresent, false, 'new session');
  t.assert(agent.connected, 'connected');

  const got: string[] = [];
  await agent.subscribe('xs/echo/+', (m) => void got.push(`${m.topic}:${decoder.decode(m.payload)}:${m.qos}`), { qos: 1 });
  await agent.publish('xs/echo/1', 'hello', { qos: 1 });
  t.equal(got, ['xs/echo/1:hello:1'], 'own QoS 1 message came back through the subscription');

  // Three publishes in flight, then the connection drops before any PUBACK.
  broker.autoPuback = false;
  broker.loopback = false;
  const pending = ['a', 'b', 'c'].map((p) => agent.publish('xs/out', p, { qos: 1 }));
  await t.sleep(0); // the agent writes them at the end of the job, coalesced
  const firstIds = broker.packetsOf('publish').slice(-3).map((p) => p.messageId);
  t.equal(firstIds.length, 3, 'three publishes on the wire');
  broker.current!.drop();
  await t.sleep(0);
  t.assert(!agent.connected, 'disconnected after the drop');
  const offline = agent.publish('xs/out', 'd', { qos: 1 });
  broker.autoPuback = true;
  broker.sessionPresent = true;
  await t.sleep(3000);
  await Promise.all([...pending, offline]);
  t.assert(agent.connected, 'reconnected');
  const resent = broker.connections[1]!.packets.filter((p) => p.cmd === 'publish');
  t.equal(
    resent.map((p) => [decoder.decode(p.payload), p.dup === true, p.messageId ?? 0]),
    [
      ['a', true, firstIds[0]],
      ['b', true, firstIds[1]],
      ['c', true, firstIds[2]],
      ['d', false, resent[3]?.messageId ?? -1],
    ],
    'redelivered in order with DUP and the same ids, then the offline publish',
  );
  t.equal(agent.counters.retransmitted, 3, 'retransmitted counter');
  t.equal(agent.counters.reconnects, 1, 'reconnects counter');
  t.equal(ups, [false, true], 'onConnected(sessionPresent) for both connections');
});

scenario('mqtt agent: compute and heap per QoS 1 publish; heap does not grow over 1,000 publishes', async (t) => {
  const { agent, broker } = setup();
  broker.loopback = false;
  broker.lightweight = true; // the double acks from the header and keeps nothing: heap figures are the agent's
  await agent.connect({ host: 'broker.local', port: 8883, clientId: 'xs-bench' });
  const payload = new Uint8Array(64).fill(0x61);
  // Warm-up: first use of every code path (and the topic cache).
  await t.measure('publish QoS 1 × 100 (warm-up)', async () => {
    for (let i = 0; i < 100; i++) await agent.publish('xs/bench/topic', payload, { qos: 1 });
  });
  await t.measure('publish QoS 1 × 1 (to PUBACK)', () => agent.publish('xs/bench/topic', payload, { qos: 1 }));
  await t.measure('publish QoS 1 × 1,000 (sequential, each to PUBACK)', async () => {
    for (let i = 0; i < 1000; i++) await agent.publish('xs/bench/topic', payload, { qos: 1 });
  });
  // Pipelined in batches of 125: the 100-message window plus 25 in the command queue (default depth 32).
  await t.measure('publish QoS 1 × 1,000 (pipelined: 8 × 125, 100 in flight)', async () => {
    for (let batch = 0; batch < 8; batch++) {
      await Promise.all(Array.from({ length: 125 }, () => agent.publish('xs/bench/topic', payload, { qos: 1 })));
    }
  });
  t.equal(agent.counters.sent, 2101, 'every publish sent once');
  t.equal(broker.publishesSeen, 2101, 'every publish reached the broker');
  t.equal(agent.inFlight, 0, 'nothing left in flight');
  t.figure('PUBLISH packet bytes', 2 + 2 + 'xs/bench/topic'.length + 2 + payload.length, 'B');
});
