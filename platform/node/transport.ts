import { connect as netConnect, type Socket } from 'node:net';
import {
  checkServerIdentity as nodeCheckServerIdentity,
  connect as tlsConnect,
  type ConnectionOptions,
  type PeerCertificate,
  type SecureVersion,
  type TLSSocket,
} from 'node:tls';
import type { Connection, ConnectOptions, KeyStoreBackend, TlsCredentials, Transport, TransportErrorCode } from '../pal/index.js';
import { TransportError } from '../pal/index.js';
import { resolveTlsCredentials } from './tls-credentials.js';

export interface NodeTransportOptions {
  /** Default connect timeout when ConnectOptions has none (default 15 s). */
  connectTimeoutMs?: number;
  /**
   * Highest TLS version (default TLSv1.2, as Moddable's TLS on the device). With TLS 1.2 a server that
   * rejects the client certificate does so during the handshake, so `connect` rejects with
   * `certificate-rejected`; under TLS 1.3 that rejection comes after the handshake and arrives as
   * `onClose(TransportError('certificate-rejected'))`.
   */
  maxTlsVersion?: SecureVersion;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/**
 * TCP and TLS over node:net / node:tls. Client certificate and key come from the key store by label;
 * the key's bytes exist only inside this call, on their way into OpenSSL. Nagle is off (MQTT packets
 * are small and latency matters) and each `write` is one socket write.
 */
export class NodeTransport implements Transport {
  readonly #keyStore: KeyStoreBackend;
  readonly #options: NodeTransportOptions;

  constructor(keyStore: KeyStoreBackend, options: NodeTransportOptions = {}) {
    this.#keyStore = keyStore;
    this.#options = options;
  }

  async connect(options: ConnectOptions): Promise<Connection> {
    const timeoutMs = options.connectTimeoutMs ?? this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const tlsOptions = options.tls ? await this.#tlsOptions(options, options.tls) : undefined;
    return new Promise<Connection>((resolve, reject) => {
      let settled = false;
      const socket: Socket = tlsOptions
        ? tlsConnect(tlsOptions)
        : netConnect({ host: options.host, port: options.port });
      socket.setNoDelay(true);
      // Set once our side derived the session keys, i.e. the handshake got as far as sending our
      // certificate (TLS 1.2 sends Certificate before ClientKeyExchange).
      let sentCertificate = false;
      const presentedCertificate = tlsOptions?.cert !== undefined;
      const onKeylog = () => {
        sentCertificate = true;
      };
      const handshakeFailure = (error: Error | undefined): TransportError => {
        const mapped = error ? mapNodeError(error, options) : undefined;
        // A server that dislikes our client certificate either sends an alert (OpenSSL servers,
        // mosquitto, AWS IoT) or, like Node's own TLS server, just drops the connection mid-handshake.
        if (presentedCertificate && sentCertificate && (!mapped || mapped.code === 'closed')) {
          return new TransportError(
            'certificate-rejected',
            `${options.host}:${options.port} closed the connection during the TLS handshake after we presented our client certificate (rejected)`,
          );
        }
        return mapped ?? new TransportError('closed', `connection to ${options.host}:${options.port} closed during connect`);
      };
      const onError = (error: Error) => fail(handshakeFailure(error));
      const onClose = () => fail(handshakeFailure(undefined));
      const detach = () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.off('close', onClose);
        socket.off('keylog', onKeylog);
      };
      const fail = (error: TransportError) => {
        if (settled) return;
        settled = true;
        detach();
        socket.on('error', () => {}); // late errors of a socket we are discarding
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => {
        fail(new TransportError('timeout', `connect to ${options.host}:${options.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      if (presentedCertificate) socket.on('keylog', onKeylog);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
        if (settled) return;
        settled = true;
        detach();
        resolve(new NodeConnection(socket, options));
      });
    });
  }

  async #tlsOptions(options: ConnectOptions, tls: TlsCredentials): Promise<ConnectionOptions> {
    const servername = tls.serverName ?? options.host;
    const result: ConnectionOptions = {
      host: options.host,
      port: options.port,
      rejectUnauthorized: true,
      maxVersion: this.#options.maxTlsVersion ?? 'TLSv1.2',
      minVersion: 'TLSv1.2',
    };
    // SNI must be a host name, never an IP address (RFC 6066); the certificate check still uses it.
    if (!/^[\d.]+$/.test(servername) && !servername.includes(':')) result.servername = servername;
    result.checkServerIdentity = (_host, cert) => checkServerIdentityFor(servername, cert);
    if (tls.alpn && tls.alpn.length > 0) result.ALPNProtocols = tls.alpn;
    Object.assign(result, await resolveTlsCredentials(this.#keyStore, tls));
    return result;
  }
}

/** Node's own host-name check, against the configured server name rather than the dialled address. */
function checkServerIdentityFor(servername: string, cert: PeerCertificate): Error | undefined {
  return nodeCheckServerIdentity(servername, cert);
}

class NodeConnection implements Connection {
  readonly #socket: Socket;
  #onData: ((data: Uint8Array) => void) | undefined;
  /** Bytes that arrived before the user set onData (at most a packet or two). */
  #pending: Uint8Array[] = [];
  #closed = false;
  #error: TransportError | undefined;
  onClose?: (error: TransportError | undefined) => void;

  constructor(socket: Socket, options: ConnectOptions) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (this.#onData) this.#onData(bytes);
      else this.#pending.push(bytes);
    });
    socket.on('error', (error) => {
      // After the handshake, a TLS alert from the server is its verdict on our certificate (TLS 1.3).
      const mapped = mapNodeError(error, options);
      this.#error ??= mapped.code === 'io' && isPeerCertificateAlert(error) ? new TransportError('certificate-rejected', mapped.message) : mapped;
    });
    socket.on('close', () => {
      if (this.#closed) return;
      this.#closed = true;
      this.onClose?.(this.#error);
    });
  }

  get onData(): ((data: Uint8Array) => void) | undefined {
    return this.#onData;
  }

  set onData(handler: ((data: Uint8Array) => void) | undefined) {
    this.#onData = handler;
    if (handler && this.#pending.length > 0) {
      const pending = this.#pending;
      this.#pending = [];
      for (const chunk of pending) handler(chunk);
    }
  }

  /** The ALPN protocol agreed with the server, if any. */
  get alpnProtocol(): string | undefined {
    const protocol = (this.#socket as TLSSocket).alpnProtocol;
    return typeof protocol === 'string' ? protocol : undefined;
  }

  write(data: Uint8Array): void {
    if (this.#closed || this.#socket.destroyed) return;
    this.#socket.write(data);
  }

  close(): void {
    if (this.#socket.destroyed) return;
    this.#socket.end();
    // Do not wait for the peer's FIN forever.
    this.#socket.destroySoon();
  }
}

const PEER_CERT_ALERT = /ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_EXPIRED|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|DECRYPT_ERROR|HANDSHAKE_FAILURE|ACCESS_DENIED)/;

function isPeerCertificateAlert(error: Error): boolean {
  return PEER_CERT_ALERT.test(String((error as NodeJS.ErrnoException).code ?? '')) || PEER_CERT_ALERT.test(error.message.toUpperCase().replace(/ /g, '_'));
}

const CODE_MAP: Record<string, TransportErrorCode> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ENOTFOUND: 'unreachable',
  EAI_AGAIN: 'unreachable',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'closed',
  EPIPE: 'closed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate-untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate-untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate-untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate-untrusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'certificate-untrusted',
  CERT_SIGNATURE_FAILURE: 'certificate-untrusted',
  CERT_UNTRUSTED: 'certificate-untrusted',
  CERT_REJECTED: 'certificate-untrusted',
  INVALID_CA: 'certificate-untrusted',
  CERT_HAS_EXPIRED: 'certificate-expired',
  CERT_NOT_YET_VALID: 'certificate-expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate-name-mismatch',
  HOSTNAME_MISMATCH: 'certificate-name-mismatch',
};

/** Maps a Node/OpenSSL error to a TransportError; the message keeps Node's code for diagnosis. */
export function mapNodeError(error: Error, options: Pick<ConnectOptions, 'host' | 'port'>): TransportError {
  if (error instanceof TransportError) return error;
  const code = String((error as NodeJS.ErrnoException).code ?? '');
  const where = `${options.host}:${options.port}`;
  const mapped = CODE_MAP[code] ?? (isPeerCertificateAlert(error) ? 'certificate-rejected' : 'io');
  return new TransportError(mapped, `${where}: ${error.message}${code && !error.message.includes(code) ? ` (${code})` : ''}`);
}
