/**
 * Fuzzing the inbound side: random byte streams and mutated streams of valid broker packets, cut
 * into random chunks, fed to a connected agent. Whatever arrives, the agent must end either still
 * connected with nothing reported (a clean state) or with a typed SdkError reported and a fresh,
 * working connection after its reconnect; nothing may throw out of the transport callback.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMqttAgent } from '../../modules/mqtt/index.js';
import { encodePublish } from '../../modules/mqtt/packet-codec.js';
import { SdkError } from '../../modules/util/errors.js';
import { rounds } from '../helpers/rounds.js';
import { advance, createVirtualPlatform, settle } from './support/virtual-platform.js';

const te = new TextEncoder();

/** Valid packets a broker may send a client, as building blocks for mutation. */
const validPacket = fc.oneof(
  fc.record({ topic: fc.string({ minLength: 1, maxLength: 20 }), payload: fc.uint8Array({ maxLength: 64 }), qos: fc.constantFrom(0 as const, 1 as const), id: fc.integer({ min: 1, max: 65535 }), retain: fc.boolean(), dup: fc.boolean() }).map((p) =>
    encodePublish({ topic: te.encode(p.topic), payload: p.payload, qos: p.qos, retain: p.retain, dup: p.dup, messageId: p.id }, 4),
  ),
  fc.integer({ min: 1, max: 65535 }).map((id) => Uint8Array.of(0x40, 2, id >> 8, id & 0xff)), // PUBACK
  fc.tuple(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(0, 1, 0x80)).map(([id, code]) => Uint8Array.of(0x90, 3, id >> 8, id & 0xff, code)), // SUBACK
  fc.integer({ min: 1, max: 65535 }).map((id) => Uint8Array.of(0xb0, 2, id >> 8, id & 0xff)), // UNSUBACK
  fc.constant(Uint8Array.of(0xd0, 0)), // PINGRESP
);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);

type Mutation = { kind: 'flip'; at: number; value: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: Uint8Array } | { kind: 'delete'; at: number; count: number };

function mutate(stream: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = stream;
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = m.at % bytes.length;
    if (m.kind === 'flip') (bytes = bytes.slice()), (bytes[at] = m.value);
    else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
    else if (m.kind === 'insert') bytes = concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    else bytes = concat([bytes.subarray(0, at), bytes.subarray(at + m.count)]);
  }
  return bytes;
}

const streams = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }) },
  { weight: 3, arbitrary: fc.tuple(fc.array(validPacket, { minLength: 1, maxLength: 8 }), fc.array(mutation, { maxLength: 4 })).map(([packets, ms]) => mutate(concat(packets), ms as Mutation[])) },
);

/** Cut points for delivering one stream in several chunks. */
const cuts = fc.array(fc.nat({ max: 400 }), { maxLength: 6 });

function chunks(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    if (p > last) out.push(bytes.subarray(last, p));
    last = Math.max(last, p);
  }
  return out;
}

describe('inbound fuzzing', () => {
  it(`ends in a typed error or a clean state for ${rounds(10_000, 1_000)} random and mutated streams`, async () => {
    await fc.assert(
      fc.asyncProperty(streams, cuts, async (stream, cutPoints) => {
        const platform = createVirtualPlatform();
        const agent = createMqttAgent(platform, { maxInboundPacketBytes: 256, maxInFlight: 4, ackTimeoutMs: 3000 });
        const reasons: Array<Error | undefined> = [];
        agent.addConnectionListener({ onDisconnected: (r) => void reasons.push(r) });
        const connecting = agent.connect({ host: 'h', port: 1, clientId: 'fuzz', testKeepAliveSeconds: 2, reconnect: { baseMs: 10, capMs: 20 } });
        await settle();
        await connecting;
        const received: Uint8Array[] = [];
        await agent.subscribe('#', (m) => void received.push(m.payload), { qos: 1 });
        void agent.publish('out', 'x', { qos: 1 }).catch(() => {});
        await settle();

        const connection = platform.broker.current!;
        for (const chunk of chunks(stream, cutPoints)) {
          if (connection.closed) break;
          // Called directly: an exception here would escape the agent into the transport.
          connection.onData?.(chunk);
        }
        await settle();

        for (const reason of reasons) expect(reason).toBeInstanceOf(SdkError);
        for (const payload of received) expect(payload).toBeInstanceOf(Uint8Array);
        // A stream that stops mid-packet leaves the parser waiting for the rest (as on a real socket):
        // the keep-alive must then detect the dead connection. Either way, within a few keep-alive
        // periods the agent is connected and a QoS 1 publish completes.
        const after = agent.publish('after', 'ok', { qos: 1 });
        let done = false;
        after.then(() => (done = true), () => {});
        for (let i = 0; i < 20 && !done; i++) await advance(platform, 1000);
        await expect(after).resolves.toBeUndefined();
        expect(agent.connected).toBe(true);
        for (const reason of reasons) expect(reason).toBeInstanceOf(SdkError);
        expect(agent.inFlight).toBeLessThanOrEqual(4);
        await agent.disconnect();
      }),
      { numRuns: rounds(10_000, 1_000), timeout: 5_000 },
    );
  }, 240_000);

  it(`survives ${rounds(2_000, 200)} random and mutated streams before CONNACK`, async () => {
    const connack = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 6 })).map(([sp, code]) => Uint8Array.of(0x20, 2, sp ? 1 : 0, code));
    const early = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      fc.tuple(fc.array(fc.oneof(connack, validPacket), { minLength: 1, maxLength: 4 }), fc.array(mutation, { maxLength: 3 })).map(([packets, ms]) =>
        mutate(concat(packets), ms as Mutation[]),
      ),
    );
    await fc.assert(
      fc.asyncProperty(early, cuts, async (stream, cutPoints) => {
        const platform = createVirtualPlatform();
        platform.broker.answerConnect = false;
        const agent = createMqttAgent(platform, { maxInboundPacketBytes: 256, ackTimeoutMs: 3000 });
        const outcome = agent
          .connect({ host: 'h', port: 1, clientId: 'fuzz-early', connectTimeoutMs: 2000, testKeepAliveSeconds: 2, reconnect: { baseMs: 10, capMs: 20 } })
          .then(
            () => 'connected' as const,
            (error: unknown) => error,
          );
        await settle();
        const connection = platform.broker.current!;
        for (const chunk of chunks(stream, cutPoints)) {
          if (connection.closed) break;
          connection.onData?.(chunk);
        }
        await settle();
        // From now on the broker behaves; the agent either got in, retries until it does, or stopped
        // with a typed refusal it cannot retry.
        platform.broker.answerConnect = true;
        let settled: unknown;
        void outcome.then((o) => (settled = o));
        for (let i = 0; i < 10 && settled === undefined; i++) await advance(platform, 1000);
        if (settled === 'connected') {
          // Bytes after the CONNACK may have left the stream mid-packet: keep-alive or the ack timeout
          // must notice, reconnect and redeliver, so drive the clock until the publish completes.
          const after = agent.publish('after', 'ok', { qos: 1 });
          let done = false;
          after.then(() => (done = true), () => {});
          for (let i = 0; i < 40 && !done; i++) await advance(platform, 1000);
          await expect(after).resolves.toBeUndefined();
        } else {
          expect(settled).toBeInstanceOf(SdkError);
          expect((settled as Error).name).toBe('ConnectRefusedError');
        }
        await agent.disconnect();
      }),
      { numRuns: rounds(2_000, 200), timeout: 5_000 },
    );
  }, 120_000);
});
