/**
 * A small MQTT 3.1.1 broker for the lane, on the lane network (./network.ts) and mqtt-packet: CONNECT
 * → CONNACK, SUBSCRIBE → SUBACK (QoS ≤ 1), UNSUBSCRIBE → UNSUBACK, PUBLISH QoS 0/1 (PUBACK) routed to matching subscribers,
 * PINGREQ → PINGRESP. Exact topic match and `#`/`+` wildcards. Enough to run the SDK's MQTT agent
 * over the Moddable transport inside XS; the real brokers (aedes, mosquitto) run in the vitest suites.
 */
import mqttPacket from 'mqtt-packet';
import type { Peer } from './network.js';

interface Packet {
  cmd: string;
  [field: string]: unknown;
}

interface Api {
  parser(options: { protocolVersion: number }): { parse(bytes: Uint8Array): number; on(event: string, listener: (value: never) => void): void };
  generate(packet: object): Uint8Array;
  writeToStream: { cacheNumbers: boolean };
}

const mqtt = mqttPacket as unknown as Api;
mqtt.writeToStream.cacheNumbers = false;

function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

export class MiniBroker {
  readonly sessions = new Map<Peer, { clientId: string; filters: Map<string, number> }>();
  readonly received: Packet[] = [];
  nextId = 1;

  accept(peer: Peer): void {
    const parser = mqtt.parser({ protocolVersion: 4 });
    parser.on('packet', ((packet: Packet) => this.#handle(peer, packet)) as (value: never) => void);
    parser.on('error', (() => peer.close()) as (value: never) => void);
    peer.onData = (bytes) => parser.parse(bytes);
    peer.onClose = () => this.sessions.delete(peer);
  }

  #send(peer: Peer, packet: object): void {
    peer.send(new Uint8Array(mqtt.generate(packet)));
  }

  #handle(peer: Peer, packet: Packet): void {
    this.received.push(packet);
    switch (packet.cmd) {
      case 'connect':
        this.sessions.set(peer, { clientId: String(packet.clientId), filters: new Map() });
        this.#send(peer, { cmd: 'connack', returnCode: 0, sessionPresent: false });
        break;
      case 'subscribe': {
        const session = this.sessions.get(peer)!;
        const granted = (packet.subscriptions as { topic: string; qos: number }[]).map(({ topic, qos }) => {
          session.filters.set(topic, Math.min(qos, 1));
          return Math.min(qos, 1);
        });
        this.#send(peer, { cmd: 'suback', messageId: packet.messageId, granted });
        break;
      }
      case 'publish': {
        if (packet.qos === 1) this.#send(peer, { cmd: 'puback', messageId: packet.messageId });
        for (const [subscriber, session] of this.sessions) {
          for (const [filter, qos] of session.filters) {
            if (!matches(filter, String(packet.topic))) continue;
            const deliveredQos = Math.min(qos, Number(packet.qos));
            this.#send(subscriber, { cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: deliveredQos, retain: false, dup: false, ...(deliveredQos > 0 ? { messageId: this.nextId++ } : {}) });
            break;
          }
        }
        break;
      }
      case 'unsubscribe': {
        const session = this.sessions.get(peer);
        for (const topic of packet.unsubscriptions as string[]) session?.filters.delete(topic);
        this.#send(peer, { cmd: 'unsuback', messageId: packet.messageId });
        break;
      }
      case 'pingreq':
        this.#send(peer, { cmd: 'pingresp' });
        break;
      case 'disconnect':
        peer.close();
        break;
      default:
        break; // puback from the client: not needed here
    }
  }
}
