/**
 * An embedded aedes broker on a free loopback port, plain TCP or TLS (optionally demanding a client
 * certificate), for in-process broker tests. `restart()` drops every client and listens again on the
 * same port with a fresh broker (aedes' in-memory state is lost, as after a crash).
 */
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import AedesModule from 'aedes';

export interface AedesTls {
  caPem: string;
  certPem: string;
  keyPem: string;
  requireClientCertificate?: boolean;
}

export interface AedesBroker {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The current aedes instance (replaced by restart()). */
  readonly aedes: AedesInstance;
  /** Drops every client connection (the broker keeps running). */
  dropClients(): void;
  /**
   * Stops (every client dropped) and starts a fresh broker on the same port. With `keepState` the new
   * broker gets the old one's persistence (sessions, subscriptions, queued QoS 1 messages), like a
   * broker restarting from durable storage; without it everything is forgotten, like after a crash.
   */
  restart(options?: { keepState?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface AedesInstance {
  persistence: unknown;
  handle(socket: Socket): void;
  close(callback?: () => void): void;
  subscribe(topic: string, handler: (packet: { topic: string; payload: Uint8Array }, done: () => void) => void, done: () => void): void;
  publish(packet: { cmd: 'publish'; topic: string; payload: Uint8Array; qos: 0 | 1; retain: boolean; dup: boolean }, done: (error?: Error) => void): void;
  on(event: string, listener: (...args: never[]) => void): void;
}

type AedesFactory = { createBroker(options?: object): AedesInstance };

/** `brokerOptions` go to aedes' createBroker, e.g. `authorizeSubscribe` to refuse filters (SUBACK 0x80). */
export async function startAedes(options: { tls?: AedesTls; port?: number; brokerOptions?: object } = {}): Promise<AedesBroker> {
  const factory = AedesModule as unknown as AedesFactory;
  let aedes = factory.createBroker(options.brokerOptions);
  const sockets = new Set<Socket>();
  const makeServer = (): Server => {
    const onSocket = (socket: Socket) => {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
      aedes.handle(socket);
    };
    if (!options.tls) return createTcpServer(onSocket);
    return createTlsServer(
      {
        ca: options.tls.caPem,
        cert: options.tls.certPem,
        key: options.tls.keyPem,
        requestCert: options.tls.requireClientCertificate ?? false,
        rejectUnauthorized: options.tls.requireClientCertificate ?? false,
        maxVersion: 'TLSv1.2',
      },
      onSocket,
    );
  };
  let server = makeServer();
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const port = await listen(options.port ?? 0);
  const dropClients = () => {
    for (const socket of sockets) socket.destroy();
  };
  const shutdown = async () => {
    dropClients();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  };
  return {
    host: '127.0.0.1',
    port,
    get aedes() {
      return aedes;
    },
    dropClients,
    async restart(restartOptions = {}) {
      const persistence = aedes.persistence;
      await shutdown();
      aedes = factory.createBroker({ ...options.brokerOptions, ...(restartOptions.keepState ? { persistence } : {}) });
      server = makeServer();
      await listen(port);
    },
    close: shutdown,
  };
}
