/**
 * PAL HttpClient over ECMA-419 `embedded:network/http/client` (Moddable's examples/io/tcp/httpclient),
 * one client per request so `cancel()` can close exactly that connection. HTTPS goes over the same
 * TLS socket as the transport, with credentials from the key store. The body is taken as it arrives
 * (`onReadable`) and read in pieces, so an OTA image streams into flash without being held in RAM.
 */
import HTTPClient from 'embedded:network/http/client';
import TCP from 'embedded:io/socket/tcp';
import TLSSocket from 'embedded:io/socket/tcp/tls';
import type { HttpClient, HttpGetOptions, HttpResponse, KeyStoreBackend, Timers } from '../pal/index.js';
import { TransportError } from '../pal/index.js';
import { ChunkQueue } from '../../modules/util/chunk-queue.js';
import { ArgumentError, TimeoutError } from '../../modules/util/errors.js';
import type { DnsResolver } from './dns.js';
import { buildSecureOptions } from './transport.js';

const URL_PATTERN = /^(https?):\/\/([^/:?#]+)(?::(\d{1,5}))?([/?][^#]*)?$/;
const DEFAULT_TIMEOUT_MS = 30_000;

export interface ParsedUrl {
  secure: boolean;
  host: string;
  port: number;
  path: string;
}

export function parseHttpUrl(url: string): ParsedUrl {
  const match = URL_PATTERN.exec(url);
  if (!match) throw new ArgumentError(`expected an http:// or https:// URL, got ${JSON.stringify(url)}`);
  const secure = match[1] === 'https';
  const port = match[3] === undefined ? (secure ? 443 : 80) : Number(match[3]);
  if (port < 1 || port > 65535) throw new ArgumentError(`URL port must be 1-65535, got ${port}`);
  const path = match[4] ?? '/';
  return { secure, host: match[2]!, port, path: path.startsWith('?') ? `/${path}` : path };
}

export class ModdableHttpClient implements HttpClient {
  readonly #keyStore: KeyStoreBackend;
  readonly #timers: Timers;
  readonly #dns: DnsResolver;

  constructor(options: { keyStore: KeyStoreBackend; timers: Timers; dns: DnsResolver }) {
    this.#keyStore = options.keyStore;
    this.#timers = options.timers;
    this.#dns = options.dns;
  }

  async get(url: string, options: HttpGetOptions = {}): Promise<HttpResponse> {
    const target = parseHttpUrl(url);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const headers = new Map<string, string>();
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name.toLowerCase(), value);
    if (options.range) {
      const { start, end } = options.range;
      if (!Number.isInteger(start) || start < 0 || (end !== undefined && (!Number.isInteger(end) || end < start))) {
        throw new ArgumentError(`invalid byte range ${start}-${end ?? ''}`);
      }
      headers.set('range', `bytes=${start}-${end ?? ''}`);
    }
    const socket = target.secure
      ? { io: TLSSocket, TCP: { io: TCP }, secure: await buildSecureOptions(this.#keyStore, options.tls ?? {}) }
      : { io: TCP };

    return new Promise<HttpResponse>((resolve, reject) => {
      // Holds what `onReadable` took (what the TCP window delivered, a few KiB on lwIP) until read.
      const body = new ChunkQueue();
      let headersSeen = false;
      let finished = false;
      let timer = this.#timers.set(() => stop(new TimeoutError(`GET ${url}`, timeoutMs)), timeoutMs);
      const restartTimer = () => {
        this.#timers.clear(timer);
        timer = this.#timers.set(() => stop(new TimeoutError(`GET ${url} (no data)`, timeoutMs)), timeoutMs);
      };
      const stop = (error?: Error) => {
        if (finished) return;
        finished = true;
        this.#timers.clear(timer);
        try {
          client.close();
        } catch {
          // already closed
        }
        if (!headersSeen) reject(error ?? new TransportError('closed', `GET ${url}: closed before the response headers`));
        else body.end(error);
      };
      const client = new HTTPClient({
        host: target.host,
        port: target.port,
        dns: this.#dns.moddableOptions,
        socket,
        onError: () => stop(new TransportError('io', `GET ${url}: connection failed`)),
      });
      client.request({
        method: 'GET',
        path: target.path,
        headers,
        onHeaders(status, responseHeaders) {
          headersSeen = true;
          restartTimer();
          const plain: Record<string, string> = {};
          responseHeaders.forEach((value, name) => (plain[name.toLowerCase()] = String(value)));
          resolve({
            status,
            headers: plain,
            read: (maxBytes) => body.read(maxBytes),
            cancel: () => {
              body.discard();
              stop();
            },
          });
        },
        onReadable(count) {
          restartTimer();
          const buffer = this.read(count);
          if (buffer && buffer.byteLength > 0) body.push(new Uint8Array(buffer));
        },
        onDone(error) {
          stop(error ? new TransportError('closed', `GET ${url}: ${error.message || 'connection dropped during the body'}`) : undefined);
        },
      });
    });
  }
}
