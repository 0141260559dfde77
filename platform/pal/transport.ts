/** Where the transport finds TLS credentials: key-store labels, never raw private key bytes. */
export interface TlsCredentials {
  /** Key-store label of the CA certificate that must have signed the server's certificate. */
  caLabel?: string;
  /** Or the CA certificate itself (DER or PEM bytes), e.g. for a firmware server. */
  ca?: Uint8Array;
  /** Key-store labels of the client certificate and its private key (mutual TLS). */
  certificateLabel?: string;
  privateKeyLabel?: string;
  /** SNI and certificate name check; defaults to `host`. */
  serverName?: string;
  /** ALPN protocols, e.g. `['x-amzn-mqtt-ca']` for MQTT on port 443. */
  alpn?: string[];
}

export interface ConnectOptions {
  host: string;
  port: number;
  tls?: TlsCredentials;
  connectTimeoutMs?: number;
}

/** Typed reasons a connection fails, so callers can tell a bad certificate from a dead network. */
export type TransportErrorCode =
  | 'timeout'
  | 'refused'
  | 'unreachable'
  | 'certificate-untrusted'
  | 'certificate-expired'
  | 'certificate-name-mismatch'
  | 'certificate-rejected'
  | 'closed'
  | 'io';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(readonly code: TransportErrorCode, message: string) {
    super(message);
  }
}

/** An open byte stream. Callbacks are set by the user of the connection. */
export interface Connection {
  /** Queues bytes; one call is one write on the socket (the MQTT layer passes whole packets: one, or several coalesced). */
  write(data: Uint8Array): void;
  close(): void;
  onData?: (data: Uint8Array) => void;
  /** Called once, after the connection is gone for whatever reason. */
  onClose?: (error: TransportError | undefined) => void;
}

export interface Transport {
  /** Resolves once connected (and the TLS handshake is done); rejects with a TransportError. */
  connect(options: ConnectOptions): Promise<Connection>;
}
