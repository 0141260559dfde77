import aedes, { type Client } from 'aedes';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { CloudBroker, IdentityResolver, InboundMessage } from './broker.js';
import { CLOUD_TOPIC_FILTERS, MAX_PAYLOAD_BYTES } from './broker.js';
import { canPublish, canReceive, canSubscribe, topicMatches, type Identity } from './policy.js';

const NOT_AUTHORIZED = 5;

/**
 * The default broker: aedes behind a Node TLS server that requires a client certificate signed by the
 * local CA. Every CONNECT is checked against the registry (the certificate must be ACTIVE and, for a
 * device certificate, bound to a thing); every PUBLISH and SUBSCRIBE against the per-identity policy.
 */
export class EmbeddedBroker implements CloudBroker {
  readonly kind = 'embedded' as const;
  onMessage: (message: InboundMessage) => void = () => {};
  onClientConnected: (clientId: string, identity: Identity) => void = () => {};
  onClientDisconnected: (clientId: string, identity: Identity | null) => void = () => {};
  // AWS allows client ids up to 128 bytes (aedes defaults to 23).
  readonly #aedes = aedes.createBroker({ maxClientsIdLength: 128 });
  readonly #server: Server;
  readonly #identities = new WeakMap<Client, Identity>();
  readonly #resolve: IdentityResolver;

  private constructor(server: Server, resolve: IdentityResolver) {
    this.#server = server;
    this.#resolve = resolve;
    const aedes = this.#aedes;
    aedes.authenticate = (client, _username, _password, done) => {
      const socket = client.conn as TLSSocket;
      const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
      const certificateId = cert?.fingerprint256?.replace(/:/g, '').toLowerCase();
      const identity = certificateId ? this.#resolve(certificateId) : null;
      if (!identity) {
        const error = Object.assign(new Error(`certificate ${certificateId ?? '(none)'} may not connect`),
          { returnCode: NOT_AUTHORIZED });
        done(error as never, false);
        return;
      }
      this.#identities.set(client, identity);
      done(null, true);
    };
    aedes.authorizePublish = (client, packet, callback) => {
      const identity = client && this.#identities.get(client);
      if (!identity || !canPublish(identity, packet.topic)) {
        callback(new Error(`not authorized to publish to ${packet.topic}`));
        return;
      }
      if (packet.qos === 2) {
        callback(new Error('QoS 2 is not supported (AWS IoT Core supports QoS 0 and 1)'));
        return;
      }
      if (packet.payload.length > MAX_PAYLOAD_BYTES) {
        callback(new Error(`payload of ${packet.payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`));
        return;
      }
      callback(null);
    };
    aedes.authorizeSubscribe = (client, subscription, callback) => {
      const identity = this.#identities.get(client);
      if (!identity || !canSubscribe(identity, subscription.topic)) {
        callback(null, null); // SUBACK 0x80 for this filter, the connection stays up
        return;
      }
      callback(null, subscription);
    };
    aedes.authorizeForward = (client, packet) => {
      const identity = this.#identities.get(client);
      return identity && canReceive(identity, packet.topic) ? packet : null;
    };
    aedes.on('clientReady', (client) => {
      const identity = this.#identities.get(client);
      if (identity) this.onClientConnected(client.id, identity);
    });
    aedes.on('clientDisconnect', (client) => this.onClientDisconnected(client.id, this.#identities.get(client) ?? null));
    aedes.on('publish', (packet, client) => {
      if (!client) return; // our own publishes
      const topic = packet.topic;
      if (!CLOUD_TOPIC_FILTERS.some((filter) => topicMatches(filter, topic))) return;
      this.onMessage({
        topic,
        payload: Buffer.from(packet.payload as Buffer),
        identity: this.#identities.get(client) ?? null,
        clientId: client.id,
        reply: (replyTopic, payload) => new Promise<void>((resolve) => {
          if (client.closed) { resolve(); return; }
          client.publish({ cmd: 'publish', topic: replyTopic, payload, qos: 0, retain: false, dup: false },
            () => resolve());
        }),
      });
    });
  }

  static async start(options: { host: string; port: number; key: string; cert: string; ca: string;
    resolve: IdentityResolver }): Promise<EmbeddedBroker> {
    let broker: EmbeddedBroker | undefined;
    const server = createServer({
      key: options.key, cert: options.cert, ca: options.ca, requestCert: true, rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    }, (socket) => broker!.#aedes.handle(socket));
    broker = new EmbeddedBroker(server, options.resolve);
    server.on('tlsClientError', () => {}); // unknown CA and the like: the handshake fails, nothing to log
    // No Nagle on the broker side either: two small packets owed at once (e.g. SUBACKs) otherwise wait
    // for the client's delayed ACK (about 40 ms on loopback).
    server.on('connection', (raw) => raw.setNoDelay(true));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    return broker;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  publish(topic: string, payload: Buffer | string, qos: 0 | 1 = 1): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false },
        (error) => (error ? reject(error) : resolve()));
    });
  }

  async refreshPolicy(): Promise<void> {
    // Identities are resolved at CONNECT; a session keeps its identity until it reconnects, except
    // that revocation/deactivation closes it (disconnectCertificate). A device cert bound to a thing
    // after connecting (not a flow AWS has) would need a reconnect.
  }

  async disconnectCertificate(certificateId: string): Promise<void> {
    const clients = Object.values((this.#aedes as unknown as { clients: Record<string, Client> }).clients);
    for (const client of clients) {
      const identity = this.#identities.get(client);
      if (identity && identity.kind !== 'service' && identity.certificateId === certificateId) client.close();
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#aedes.close(() => resolve()));
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
