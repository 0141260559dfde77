/**
 * A test double of the PAL Transport for unit tests and the XS lane: an in-memory "broker" that
 * decodes what the agent writes (with mqtt-packet's parser) and answers as scripted. Portable (no
 * Node APIs), so the same double runs under vitest and inside XS. Answers are delivered on a later
 * promise job, never from inside write(), as a real socket would.
 */
import '../../../modules/mqtt/packet-codec.js'; // sets mqtt-packet's XS configuration first
import mqttPacket from 'mqtt-packet';
import type { Connection, ConnectOptions, Transport } from '../../../platform/pal/index.js';
import { TransportError } from '../../../platform/pal/index.js';
import { encodePublish } from '../../../modules/mqtt/packet-codec.js';
import { topicMatches } from '../../../modules/mqtt/topic-match.js';
import { utf8Encode } from '../../../modules/mqtt/utf8.js';

export interface ClientPacket {
  cmd: string;
  messageId?: number;
  topic?: string;
  payload?: Uint8Array;
  qos?: number;
  dup?: boolean;
  retain?: boolean;
  clean?: boolean;
  clientId?: string;
  keepalive?: number;
  subscriptions?: Array<{ topic: string; qos: number }>;
  unsubscriptions?: string[];
}

interface RawParser {
  parse(bytes: Uint8Array): number;
  on(event: 'packet', listener: (packet: ClientPacket) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
const parserFactory = (mqttPacket as unknown as { parser(o: { protocolVersion: number }): RawParser }).parser;

const later = (fn: () => void): void => {
  void Promise.resolve().then(fn);
};

export class ScriptedConnection implements Connection {
  onData?: (data: Uint8Array) => void;
  onClose?: (error: TransportError | undefined) => void;
  closed = false;
  readonly packets: ClientPacket[] = [];
  readonly #broker: ScriptedBroker;
  readonly #parser: RawParser;

  constructor(broker: ScriptedBroker) {
    this.#broker = broker;
    this.#parser = parserFactory({ protocolVersion: 4 });
    this.#parser.on('packet', (packet) => {
      this.packets.push(packet);
      broker.received.push(packet);
      broker.handle(this, packet);
    });
    this.#parser.on('error', (error) => {
      throw error;
    });
  }

  write(data: Uint8Array): void {
    if (this.closed) return;
    this.#broker.bytesWritten += data.length;
    this.#broker.writes++;
    if (!this.#broker.lightweight) {
      this.#parser.parse(data);
      return;
    }
    // Lightweight mode (for measuring the agent, not the double): PUBLISH packets are acknowledged
    // from their fixed header without parsing or recording; other packets go to the parser. Writes
    // carry whole packets only, so frames can be walked in place.
    let o = 0;
    while (o < data.length) {
      const start = o;
      const type = data[o]! >> 4;
      const qos = (data[o]! >> 1) & 3;
      o++;
      let length = 0;
      let multiplier = 1;
      let byte: number;
      do {
        byte = data[o++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
      } while (byte & 0x80);
      const end = o + length;
      if (type === 3) {
        this.#broker.publishesSeen++;
        if (qos === 1 && this.#broker.autoPuback) {
          const topicLength = (data[o]! << 8) | data[o + 1]!;
          const id = (data[o + 2 + topicLength]! << 8) | data[o + 3 + topicLength]!;
          this.send(puback(id));
        }
      } else {
        this.#parser.parse(data.subarray(start, end));
      }
      o = end;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    later(() => this.onClose?.(undefined));
  }

  /** Sends bytes to the client (on a later job). */
  send(bytes: Uint8Array): void {
    later(() => {
      if (!this.closed) this.onData?.(bytes);
    });
  }

  /** The server side drops the connection. */
  drop(error?: TransportError): void {
    if (this.closed) return;
    this.closed = true;
    later(() => this.onClose?.(error ?? new TransportError('closed', 'connection reset by scripted broker')));
  }
}

export class ScriptedBroker implements Transport {
  /** Every packet the agent wrote, across connections. */
  readonly received: ClientPacket[] = [];
  readonly connections: ScriptedConnection[] = [];
  connectAttempts = 0;
  bytesWritten = 0;
  /** Connection.write calls (the agent coalesces packets of one job into one write). */
  writes = 0;
  /** True: PUBLISH packets are acked from their header, not parsed or recorded (see write()). */
  lightweight = false;
  publishesSeen = 0;
  /** When set, the next connect() rejects with it (consumed unless `keepFailing`). */
  failConnect: TransportError | undefined;
  keepFailing = false;
  connackCode = 0;
  sessionPresent = false;
  /** False: CONNACK is never sent (the agent must time out). */
  answerConnect = true;
  autoPuback = true;
  answerPings = true;
  /** SUBACK return code for a requested filter; default grants the requested QoS. */
  subackCode: (filter: string, qos: number) => number = (_filter, qos) => qos;
  /** Route a client's PUBLISH back to it when it subscribed to a matching filter. */
  loopback = true;
  #subscriptions = new Set<string>();
  /** QoS 1 messages sent to the client that it has not acknowledged yet. */
  readonly unackedToClient = new Map<number, Uint8Array>();
  #nextServerId = 1;
  onPacket?: (connection: ScriptedConnection, packet: ClientPacket) => void;

  get current(): ScriptedConnection | undefined {
    const last = this.connections[this.connections.length - 1];
    return last && !last.closed ? last : undefined;
  }

  async connect(_options: ConnectOptions): Promise<Connection> {
    this.connectAttempts++;
    if (this.failConnect) {
      const error = this.failConnect;
      if (!this.keepFailing) this.failConnect = undefined;
      throw error;
    }
    const connection = new ScriptedConnection(this);
    this.connections.push(connection);
    return connection;
  }

  handle(connection: ScriptedConnection, packet: ClientPacket): void {
    this.onPacket?.(connection, packet);
    switch (packet.cmd) {
      case 'connect':
        if (packet.clean) this.#subscriptions.clear();
        if (this.answerConnect) {
          connection.send(Uint8Array.of(0x20, 0x02, this.sessionPresent && !packet.clean ? 1 : 0, this.connackCode));
        }
        break;
      case 'publish':
        if (packet.qos === 1 && this.autoPuback) connection.send(puback(packet.messageId!));
        if (this.loopback && [...this.#subscriptions].some((f) => topicMatches(f, packet.topic!))) {
          this.deliver(packet.topic!, packet.payload!, (packet.qos ?? 0) as 0 | 1);
        }
        break;
      case 'puback':
        this.unackedToClient.delete(packet.messageId!);
        break;
      case 'subscribe': {
        const codes = packet.subscriptions!.map((s) => this.subackCode(s.topic, s.qos));
        packet.subscriptions!.forEach((s, i) => {
          if (codes[i]! < 0x80) this.#subscriptions.add(s.topic);
        });
        connection.send(Uint8Array.of(0x90, 2 + codes.length, packet.messageId! >> 8, packet.messageId! & 0xff, ...codes));
        break;
      }
      case 'unsubscribe':
        for (const f of packet.unsubscriptions!) this.#subscriptions.delete(f);
        connection.send(Uint8Array.of(0xb0, 0x02, packet.messageId! >> 8, packet.messageId! & 0xff));
        break;
      case 'pingreq':
        if (this.answerPings) connection.send(Uint8Array.of(0xd0, 0x00));
        break;
      case 'disconnect':
        connection.close();
        break;
    }
  }

  /** Sends a PUBLISH to the current connection. */
  deliver(topic: string, payload: Uint8Array, qos: 0 | 1, options: { retain?: boolean; dup?: boolean } = {}): number {
    const connection = this.current;
    const messageId = qos === 1 ? this.#nextServerId++ : 0;
    if (this.#nextServerId > 65535) this.#nextServerId = 1;
    const bytes = encodePublish(
      { topic: utf8Encode(topic), payload, qos, retain: options.retain ?? false, dup: options.dup ?? false, messageId },
      4,
    );
    if (qos === 1) this.unackedToClient.set(messageId, bytes);
    connection?.send(bytes);
    return messageId;
  }

  /** Raw bytes to the current connection (fuzzing, malformed input). */
  inject(bytes: Uint8Array): void {
    this.current?.send(bytes);
  }

  get subscriptions(): string[] {
    return [...this.#subscriptions];
  }

  packetsOf(cmd: string): ClientPacket[] {
    return this.received.filter((p) => p.cmd === cmd);
  }
}

function puback(messageId: number): Uint8Array {
  return Uint8Array.of(0x40, 0x02, messageId >> 8, messageId & 0xff);
}
