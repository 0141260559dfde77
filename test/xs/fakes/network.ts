/**
 * The lane's network: DNS records and listening servers, with latency on the virtual clock. A server
 * is a function that gets a `Peer` per accepted connection; TLS servers also state what they demand
 * of the client's `secure` options (the lane checks the options the platform passes, not crypto).
 */
import { virtualTime } from '../virtual-time.js';

export interface Peer {
  send(bytes: Uint8Array): void;
  close(): void;
  onData?: (bytes: Uint8Array) => void;
  onClose?: () => void;
}

export interface TlsRequirements {
  /** DER the client must list in `secure.certificate` (it trusts the server's CA). */
  caDer?: Uint8Array;
  /** The server asks for a client certificate: `clientCertificates` and `clientKey` must be present. */
  requireClientCertificate?: boolean;
  /** ALPN protocols the server speaks; the client's offer must include one. */
  alpn?: string[];
}

export interface FakeServer {
  accept(peer: Peer): void;
  tls?: TlsRequirements;
}

export const LATENCY_MS = 5;

export const networkFake = {
  dns: new Map<string, string>(),
  servers: new Map<string, FakeServer>(),
  /** Addresses that never answer a SYN (connect hangs until the caller's timeout). */
  blackholes: new Set<string>(),
  connections: 0,
  reset(): void {
    networkFake.dns.clear();
    networkFake.servers.clear();
    networkFake.blackholes.clear();
    networkFake.connections = 0;
  },
  later(fn: () => void, ms = LATENCY_MS): void {
    virtualTime.set(fn, ms);
  },
};
