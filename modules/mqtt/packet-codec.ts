/**
 * The one module that touches mqtt-packet. Everything else in the agent encodes and decodes through
 * here, so the XS setting below is guaranteed to run before the first generate.
 *
 * - `writeToStream.cacheNumbers = false`: otherwise the first generate() builds 65,536 two-byte
 *   buffers (about 6.8 MB), which XS on an ESP32 cannot afford.
 * - The hot-path packets (PUBLISH, PUBACK, PINGREQ, DISCONNECT) are encoded here directly into one
 *   Uint8Array: one allocation, one copy of the payload, and the DUP bit at a known offset.
 * - CONNECT, SUBSCRIBE and UNSUBSCRIBE go through mqtt-packet's generator, inbound bytes through its
 *   parser (told the protocol version: a v4 parser misreads v5 packets without any error).
 */
import mqttPacket from 'mqtt-packet';
import type { QoS } from './types.js';

interface RawPacket {
  cmd: string;
  messageId?: number;
  [field: string]: unknown;
}

interface RawParser {
  parse(bytes: Uint8Array): number;
  on(event: 'packet', listener: (packet: RawPacket) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

interface MqttPacketModule {
  parser(options: { protocolVersion: number }): RawParser;
  generate(packet: object, options?: { protocolVersion: number }): Uint8Array;
  writeToStream: { cacheNumbers: boolean };
}

const codec = mqttPacket as unknown as MqttPacketModule;
codec.writeToStream.cacheNumbers = false;

/**
 * mqtt-packet copies chunks with `Buffer#copy`, so byte fields it writes must be its own Buffer type
 * (Node's on Node, the polyfill under XS). We take that class from one of its own outputs instead of
 * naming a global, and wrap our Uint8Arrays as views (no copy).
 */
const PacketBuffer = (codec.generate({ cmd: 'pingreq' }) as { constructor: unknown }).constructor as {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
};
function asPacketBuffer(bytes: Uint8Array): Uint8Array {
  return PacketBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export type ProtocolVersion = 4 | 5;

export const PUBLISH_DUP_FLAG = 0x08;
export const PINGREQ = Uint8Array.of(0xc0, 0x00);
export const DISCONNECT = Uint8Array.of(0xe0, 0x00);

/** Bytes needed for MQTT's variable byte integer (the fixed header's remaining length). */
function varIntSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

function writeVarInt(out: Uint8Array, offset: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out[offset++] = byte;
  } while (n > 0);
  return offset;
}

export interface PublishFields {
  topic: Uint8Array;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  messageId: number;
}

/** One PUBLISH packet in a single buffer. */
export function encodePublish(p: PublishFields, version: ProtocolVersion): Uint8Array {
  const idBytes = p.qos > 0 ? 2 : 0;
  const propertyBytes = version === 5 ? 1 : 0; // empty property list
  const remaining = 2 + p.topic.length + idBytes + propertyBytes + p.payload.length;
  const out = new Uint8Array(1 + varIntSize(remaining) + remaining);
  out[0] = 0x30 | (p.dup ? PUBLISH_DUP_FLAG : 0) | (p.qos << 1) | (p.retain ? 1 : 0);
  let o = writeVarInt(out, 1, remaining);
  out[o++] = p.topic.length >> 8;
  out[o++] = p.topic.length & 0xff;
  out.set(p.topic, o);
  o += p.topic.length;
  if (idBytes) {
    out[o++] = p.messageId >> 8;
    out[o++] = p.messageId & 0xff;
  }
  if (propertyBytes) out[o++] = 0;
  out.set(p.payload, o);
  return out;
}

/** A copy of an encoded PUBLISH with DUP set, for redelivery after reconnect. */
export function withDupFlag(packet: Uint8Array): Uint8Array {
  const copy = packet.slice();
  copy[0] = copy[0]! | PUBLISH_DUP_FLAG;
  return copy;
}

export function encodePuback(messageId: number): Uint8Array {
  // A v5 PUBACK with reason code 0 and no properties may omit both, so one form serves 4 and 5.
  return Uint8Array.of(0x40, 0x02, messageId >> 8, messageId & 0xff);
}

export interface ConnectFields {
  clientId: string;
  keepAliveSeconds: number;
  clean: boolean;
  username?: string;
  password?: Uint8Array;
}

export function encodeConnect(c: ConnectFields, version: ProtocolVersion): Uint8Array {
  return codec.generate(
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: version,
      clientId: c.clientId,
      clean: c.clean,
      keepalive: c.keepAliveSeconds,
      ...(c.username !== undefined ? { username: c.username } : {}),
      ...(c.password !== undefined ? { password: asPacketBuffer(c.password) } : {}),
    },
    { protocolVersion: version },
  );
}

export function encodeSubscribe(
  messageId: number,
  subscriptions: ReadonlyArray<{ filter: string; qos: QoS }>,
  version: ProtocolVersion,
): Uint8Array {
  return codec.generate(
    { cmd: 'subscribe', messageId, subscriptions: subscriptions.map((s) => ({ topic: s.filter, qos: s.qos })) },
    { protocolVersion: version },
  );
}

export function encodeUnsubscribe(messageId: number, filters: readonly string[], version: ProtocolVersion): Uint8Array {
  return codec.generate({ cmd: 'unsubscribe', messageId, unsubscriptions: [...filters] }, { protocolVersion: version });
}

/** Decoded inbound packets the agent acts on; anything else arrives as `other`. */
export type InboundPacket =
  | { cmd: 'connack'; sessionPresent: boolean; returnCode: number }
  | { cmd: 'publish'; topic: string; payload: Uint8Array; qos: number; retain: boolean; dup: boolean; messageId: number }
  | { cmd: 'puback'; messageId: number }
  | { cmd: 'suback'; messageId: number; granted: number[] }
  | { cmd: 'unsuback'; messageId: number }
  | { cmd: 'pingresp' }
  | { cmd: 'disconnect'; reasonCode: number }
  | { cmd: 'other'; name: string };

function normalize(raw: RawPacket): InboundPacket {
  switch (raw.cmd) {
    case 'connack':
      return {
        cmd: 'connack',
        sessionPresent: raw['sessionPresent'] === true,
        returnCode: (raw['returnCode'] ?? raw['reasonCode'] ?? 0) as number,
      };
    case 'publish':
      return {
        cmd: 'publish',
        topic: raw['topic'] as string,
        payload: raw['payload'] as Uint8Array,
        qos: raw['qos'] as number,
        retain: raw['retain'] === true,
        dup: raw['dup'] === true,
        messageId: raw.messageId ?? 0,
      };
    case 'puback':
      return { cmd: 'puback', messageId: raw.messageId ?? 0 };
    case 'suback':
      return {
        cmd: 'suback',
        messageId: raw.messageId ?? 0,
        granted: ((raw['granted'] ?? raw['reasonCodes'] ?? []) as Array<number | { qos: number }>).map((g) =>
          typeof g === 'number' ? g : g.qos,
        ),
      };
    case 'unsuback':
      return { cmd: 'unsuback', messageId: raw.messageId ?? 0 };
    case 'pingresp':
      return { cmd: 'pingresp' };
    case 'disconnect':
      return { cmd: 'disconnect', reasonCode: (raw['reasonCode'] ?? 0) as number };
    default:
      return { cmd: 'other', name: raw.cmd };
  }
}

/** A streaming decoder for one connection; after an error it must be discarded with the connection. */
export class PacketDecoder {
  #parser: RawParser;
  #error: Error | undefined;
  onPacket: (packet: InboundPacket) => void = () => {};

  constructor(version: ProtocolVersion) {
    this.#parser = codec.parser({ protocolVersion: version });
    this.#parser.on('packet', (raw) => this.onPacket(normalize(raw)));
    this.#parser.on('error', (error) => {
      this.#error ??= error;
    });
  }

  /**
   * Feeds bytes; returns the parser's first error (and stops) if the bytes are malformed.
   * `atBoundary` says the stream is between packets before `bytes` (the frame guard knows): then a
   * chunk made only of plain PUBACKs (brokers send each as its own read while a publisher streams) is
   * decoded here, skipping the general parser's buffering for the commonest inbound packet.
   */
  push(bytes: Uint8Array, atBoundary = false): Error | undefined {
    if (this.#error) return this.#error;
    if (atBoundary && isOnlyPubacks(bytes)) {
      for (let i = 0; i < bytes.length; i += 4) {
        this.onPacket({ cmd: 'puback', messageId: (bytes[i + 2]! << 8) | bytes[i + 3]! });
      }
      return undefined;
    }
    try {
      this.#parser.parse(bytes);
    } catch (error) {
      // mqtt-packet throws (rather than emits) on a few malformed inputs, e.g. bad UTF-8 lengths.
      this.#error ??= error instanceof Error ? error : new Error(String(error));
    }
    return this.#error;
  }
}

/** True for a non-empty run of complete 4-byte PUBACKs (`0x40 0x02 id id`), nothing else. */
function isOnlyPubacks(bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (n === 0 || n % 4 !== 0) return false;
  for (let i = 0; i < n; i += 4) {
    if (bytes[i] !== 0x40 || bytes[i + 1] !== 0x02) return false;
  }
  return true;
}
