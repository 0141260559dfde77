/** The agent's small parts on their own: framing guard, UTF-8 encoder, output coalescing. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMqttAgent, InboundPacketTooLargeError, MalformedPacketError } from '../../modules/mqtt/index.js';
import { FrameGuard } from '../../modules/mqtt/frame-guard.js';
import { utf8Encode } from '../../modules/mqtt/utf8.js';
import mqttPacket from 'mqtt-packet';
import { createVirtualPlatform, settle } from './support/virtual-platform.js';

describe('FrameGuard', () => {
  it('accepts a packet of exactly the maximum and refuses one byte more, with the length split across chunks', () => {
    // 1 header byte + 2 length bytes + 197 body bytes = 200.
    const exact = new FrameGuard(200);
    expect(exact.check(Uint8Array.of(0x30, 0xc5))).toBeUndefined();
    expect(exact.check(Uint8Array.of(0x01))).toBeUndefined();
    expect(exact.check(new Uint8Array(197))).toBeUndefined();
    expect(exact.check(Uint8Array.of(0xd0, 0x00))).toBeUndefined(); // next packet starts cleanly

    const tight = new FrameGuard(199);
    expect(tight.check(Uint8Array.of(0x30, 0xc5))).toBeUndefined();
    const refused = tight.check(Uint8Array.of(0x01));
    expect(refused).toBeInstanceOf(InboundPacketTooLargeError);
    expect(refused).toMatchObject({ max: 199, declared: 200 });
  });

  it('refuses a remaining length longer than 4 bytes as malformed', () => {
    expect(new FrameGuard(1 << 30).check(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0xff, 0x01))).toBeInstanceOf(MalformedPacketError);
  });

  it('tracks packet boundaries across arbitrary chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), (sizes, cuts) => {
        const packets = sizes.map((n) => {
          const out: number[] = [0x30];
          let x = n;
          do {
            let b = x % 128;
            x = Math.floor(x / 128);
            if (x > 0) b |= 0x80;
            out.push(b);
          } while (x > 0);
          return Uint8Array.from([...out, ...new Array<number>(n).fill(7)]);
        });
        const stream = Uint8Array.from(packets.flatMap((p) => [...p]));
        const guard = new FrameGuard(1000);
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        let last = 0;
        for (const p of [...points, stream.length]) {
          expect(guard.check(stream.subarray(last, p))).toBeUndefined();
          last = p;
        }
        // The guard ends between packets: the next bytes are read as a fixed header (1,003 > 1,000).
        expect(guard.check(Uint8Array.of(0x30, 0xe8, 0x07))).toBeInstanceOf(InboundPacketTooLargeError);
      }),
      { numRuns: 300 },
    );
  });
});

describe('packet codec', () => {
  it('has turned off mqtt-packet\'s number cache (6.8 MB on first generate) before any generate', () => {
    expect((mqttPacket as unknown as { writeToStream: { cacheNumbers: boolean } }).writeToStream.cacheNumbers).toBe(false);
  });
});

describe('utf8Encode', () => {
  it('matches TextEncoder for any string, lone surrogates included', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 3 }), (a, b) => {
        const s = a + b + a;
        expect(utf8Encode(s)).toEqual(encoder.encode(s));
      }),
      { numRuns: 500 },
    );
  });
});

describe('output coalescing', () => {
  it('writes the packets of one job in one transport write, in order', async () => {
    const platform = createVirtualPlatform();
    const agent = createMqttAgent(platform);
    const connecting = agent.connect({ host: 'h', port: 1, clientId: 'c' });
    await settle();
    await connecting;
    const before = platform.broker.writes;
    for (let i = 0; i < 10; i++) void agent.publish('t', String(i));
    await settle();
    expect(platform.broker.writes - before).toBe(1);
    expect(platform.broker.packetsOf('publish').map((p) => new TextDecoder().decode(p.payload))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('flushes at once when a job has written a TLS record’s worth', async () => {
    const platform = createVirtualPlatform();
    const agent = createMqttAgent(platform);
    const connecting = agent.connect({ host: 'h', port: 1, clientId: 'c' });
    await settle();
    await connecting;
    const before = platform.broker.writes;
    void agent.publish('t', new Uint8Array(10_000));
    expect(platform.broker.writes - before).toBe(0);
    void agent.publish('t', new Uint8Array(10_000));
    expect(platform.broker.writes - before).toBe(1); // 20 KB ≥ 16 KiB: written synchronously
    await settle();
    expect(platform.broker.packetsOf('publish')).toHaveLength(2);
  });
});

describe('PUBACK decoding', () => {
  async function withPending(n: number) {
    const platform = createVirtualPlatform();
    const agent = createMqttAgent(platform);
    const connecting = agent.connect({ host: 'h', port: 1, clientId: 'c' });
    await settle();
    await connecting;
    platform.broker.autoPuback = false;
    const done: boolean[] = [];
    const all = Array.from({ length: n }, (_, i) => agent.publish('t', String(i), { qos: 1 }).then(() => (done[i] = true)));
    await settle();
    const ids = platform.broker.packetsOf('publish').map((p) => p.messageId!);
    return { platform, agent, all, done, ids };
  }
  const puback = (id: number) => [0x40, 0x02, id >> 8, id & 0xff];

  it('resolves every publish of a chunk holding several PUBACKs', async () => {
    const { platform, agent, all, ids } = await withPending(3);
    platform.broker.current!.onData!(Uint8Array.from(ids.flatMap(puback)));
    await Promise.all(all);
    expect(agent.inFlight).toBe(0);
  });

  it('resolves PUBACKs split across chunks and mixed with other packets', async () => {
    const { platform, agent, all, ids, done } = await withPending(3);
    const connection = platform.broker.current!;
    const a = puback(ids[0]!);
    connection.onData!(Uint8Array.from(a.slice(0, 1)));
    connection.onData!(Uint8Array.from([...a.slice(1), ...puback(ids[1]!).slice(0, 3)]));
    await settle();
    expect(done).toEqual([true]);
    connection.onData!(Uint8Array.from([...puback(ids[1]!).slice(3), 0xd0, 0x00, ...puback(ids[2]!)]));
    await Promise.all(all);
    expect(agent.inFlight).toBe(0);
    expect(agent.connected).toBe(true);
  });
});
