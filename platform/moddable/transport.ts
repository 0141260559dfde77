/**
 * PAL Transport over ECMA-419 sockets: `embedded:io/socket/tcp` for plain TCP and Moddable's
 * `embedded:io/socket/tcp/tls` (TLS 1.2 over the same TCP) for TLS. Names are resolved first (the
 * TCP socket needs a dotted IP); the server name still goes to TLS as SNI.
 *
 * Credentials come from the key store by label, as DER: the CA certificate(s) as `certificate`, the
 * client certificate as `clientCertificates`, the PKCS#8 private key as `clientKey` (Moddable's TLS
 * signs the client CertificateVerify with RSA only: device keys on ESP32 are RSA).
 *
 * Moddable's TLS socket reports every failure as a bare `onError()`, so a failed handshake cannot be
 * told from a refused connection: both reject with code 'io' and a message that says so.
 */
import TCP from 'embedded:io/socket/tcp';
import TLSSocket from 'embedded:io/socket/tcp/tls';
import type { SecureOptions } from 'embedded:io/socket/tcp/tls';
import type { Connection, ConnectOptions, KeyStoreBackend, Timers, TlsCredentials, Transport } from '../pal/index.js';
import { TransportError } from '../pal/index.js';
import { decodePemBlocks } from '../../modules/codec/pem.js';
import { DnsResolver } from './dns.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const PEM_PREFIX = [0x2d, 0x2d, 0x2d, 0x2d, 0x2d]; // "-----"

interface Socket {
  read(byteLength?: number): ArrayBuffer | undefined;
  write(buffer: ArrayBuffer | ArrayBufferView): number | void;
  close(): void;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** DER certificates from DER or PEM bytes (a PEM file may hold a chain). */
export function certificatesFrom(bytes: Uint8Array): ArrayBuffer[] {
  if (PEM_PREFIX.every((byte, i) => bytes[i] === byte)) {
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    const blocks = decodePemBlocks(text).filter((block) => block.label === 'CERTIFICATE');
    if (blocks.length === 0) throw new TransportError('certificate-untrusted', 'the CA bytes hold no PEM CERTIFICATE block');
    return blocks.map((block) => toArrayBuffer(block.der));
  }
  return [toArrayBuffer(bytes)];
}

class ModdableConnection implements Connection {
  onData?: (data: Uint8Array) => void;
  onClose?: (error: TransportError | undefined) => void;
  readonly #label: string;
  #socket: Socket | undefined;
  #writable = 0;
  readonly #pending: Uint8Array[] = [];
  #closed = false;

  constructor(label: string) {
    this.#label = label;
  }

  attach(socket: Socket, writable: number): void {
    this.#socket = socket;
    this.#writable = writable;
  }

  readable(count: number): void {
    const socket = this.#socket;
    if (!socket || this.#closed) return;
    let remaining = count;
    while (remaining > 0) {
      const buffer = socket.read(remaining);
      if (!buffer || buffer.byteLength === 0) break;
      remaining -= buffer.byteLength;
      this.onData?.(new Uint8Array(buffer));
      if (this.#closed) return;
    }
  }

  writable(count: number): void {
    this.#writable = count;
    this.#flush();
  }

  write(data: Uint8Array): void {
    if (this.#closed) throw new TransportError('closed', `${this.#label} is closed`);
    if (data.byteLength === 0) return;
    this.#pending.push(data.slice());
    this.#flush();
  }

  #flush(): void {
    const socket = this.#socket;
    while (socket && this.#pending.length > 0 && this.#writable > 0) {
      const head = this.#pending[0]!;
      const part = head.byteLength <= this.#writable ? head : head.subarray(0, this.#writable);
      try {
        socket.write(toArrayBuffer(part));
      } catch (error) {
        this.fail(new TransportError('io', `${this.#label}: write failed: ${error instanceof Error ? error.message : String(error)}`));
        return;
      }
      this.#writable -= part.byteLength;
      if (part === head) this.#pending.shift();
      else this.#pending[0] = head.subarray(part.byteLength);
    }
  }

  fail(error: TransportError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending.length = 0;
    try {
      this.#socket?.close();
    } catch {
      // already gone
    }
    this.#socket = undefined;
    this.onClose?.(error);
  }

  close(): void {
    this.fail(undefined);
  }
}

export class ModdableTransport implements Transport {
  readonly #keyStore: KeyStoreBackend;
  readonly #timers: Timers;
  readonly #dns: DnsResolver;

  constructor(options: { keyStore: KeyStoreBackend; timers: Timers; dns: DnsResolver }) {
    this.#keyStore = options.keyStore;
    this.#timers = options.timers;
    this.#dns = options.dns;
  }

  async connect(options: ConnectOptions): Promise<Connection> {
    const label = `${options.tls ? 'tls' : 'tcp'}://${options.host}:${options.port}`;
    const secure = options.tls ? await buildSecureOptions(this.#keyStore, options.tls) : undefined;
    const address = await this.#dns.resolve(options.host);
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const connection = new ModdableConnection(label);

    return new Promise<Connection>((resolve, reject) => {
      let connected = false;
      let socket: Socket | undefined;
      const timer = this.#timers.set(() => {
        if (connected) return;
        connected = true; // settled
        try {
          socket?.close();
        } catch {
          // closing a half-open socket
        }
        reject(new TransportError('timeout', `${label}: no connection after ${timeoutMs} ms`));
      }, timeoutMs);
      const callbacks = {
        onReadable: (count: number) => connection.readable(count),
        onWritable: (count: number) => {
          if (!connected) {
            connected = true;
            this.#timers.clear(timer);
            connection.attach(socket!, count);
            resolve(connection);
            return;
          }
          connection.writable(count);
        },
        onError: () => {
          if (!connected) {
            connected = true;
            this.#timers.clear(timer);
            try {
              socket?.close();
            } catch {
              // already failed
            }
            reject(
              new TransportError(
                secure ? 'io' : 'refused',
                secure
                  ? `${label}: TLS connection failed before the handshake completed (Moddable TLS does not report whether the TCP connect, the server certificate or the client certificate failed)`
                  : `${label}: TCP connection failed`,
              ),
            );
            return;
          }
          connection.fail(new TransportError('closed', `${label}: connection lost`));
        },
      };
      try {
        socket = secure
          ? new TLSSocket({ address, port: options.port, host: options.tls?.serverName ?? options.host, TCP: { io: TCP }, secure, nodelay: true, ...callbacks })
          : new TCP({ address, port: options.port, nodelay: true, ...callbacks });
      } catch (error) {
        this.#timers.clear(timer);
        connected = true;
        const message = error instanceof Error ? error.message : String(error);
        // ssl_cert.js checks the CA's validity against Date.now() when it registers it.
        if (/date validation/.test(message)) reject(new TransportError('certificate-expired', `${label}: ${message} (CA certificate outside its validity, or the clock is not set yet: SNTP)`));
        else reject(new TransportError('io', `${label}: ${message}`));
      }
    });
  }
}

/** Moddable TLS `secure` options from PAL credentials: DER from the key store, by label. */
export async function buildSecureOptions(keyStore: KeyStoreBackend, tls: TlsCredentials): Promise<SecureOptions> {
  const certificate = async (label: string): Promise<Uint8Array> => {
    const der = await keyStore.read('certificate', label);
    if (!der) throw new TransportError('certificate-untrusted', `the key store has no certificate labelled '${label}'`);
    return der;
  };
  const secure: SecureOptions = {};
  const cas: ArrayBuffer[] = [];
  if (tls.ca) cas.push(...certificatesFrom(tls.ca));
  if (tls.caLabel) cas.push(...certificatesFrom(await certificate(tls.caLabel)));
  // Moddable's SSL registers one CA certificate (ssl_cert.js register(cert)); the first one given is
  // the trust anchor here, so a PEM bundle should start with the root the server chains to.
  if (cas.length > 0) secure.certificate = cas[0]!;
  if (tls.certificateLabel) secure.clientCertificates = certificatesFrom(await certificate(tls.certificateLabel));
  if (tls.privateKeyLabel) {
    if (!tls.certificateLabel) throw new TransportError('io', 'a client private key needs its certificate (certificateLabel)');
    secure.clientKey = toArrayBuffer(await keyStore.privateKeyForTransport(tls.privateKeyLabel));
  }
  if (tls.alpn && tls.alpn.length > 0) secure.applicationLayerProtocolNegotiation = tls.alpn.length === 1 ? tls.alpn[0]! : [...tls.alpn];
  return secure;
}
