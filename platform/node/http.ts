import { request as httpRequest, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import type { HttpClient, HttpGetOptions, HttpResponse, KeyStoreBackend } from '../pal/index.js';
import { TransportError, checkReadSize } from '../pal/index.js';
import { resolveTlsCredentials } from './tls-credentials.js';
import { mapNodeError } from './transport.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * HTTP(S) GET over node:http/node:https with `Range` and a streamed body, for OTA downloads. TLS
 * credentials work as in the transport: CA from bytes or a key-store label, optional client
 * certificate and key by label. `timeoutMs` bounds connecting and every pause between body chunks.
 */
export class NodeHttpClient implements HttpClient {
  readonly #keyStore: KeyStoreBackend;

  constructor(keyStore: KeyStoreBackend) {
    this.#keyStore = keyStore;
  }

  async get(url: string, options: HttpGetOptions = {}): Promise<HttpResponse> {
    const target = new URL(url);
    const isHttps = target.protocol === 'https:';
    if (!isHttps && target.protocol !== 'http:') throw new TransportError('io', `unsupported URL scheme ${target.protocol} in ${target.origin}`);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.range) {
      const { start, end } = options.range;
      if (!Number.isInteger(start) || start < 0 || (end !== undefined && (!Number.isInteger(end) || end < start))) {
        throw new RangeError(`expected 0 <= start <= end, got start ${start}, end ${end}`);
      }
      headers['range'] = `bytes=${start}-${end ?? ''}`;
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const requestOptions: HttpsRequestOptions = {
      method: 'GET',
      protocol: target.protocol,
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || (isHttps ? 443 : 80),
      path: target.pathname + target.search,
      headers,
      agent: false,
    };
    if (isHttps) await this.#applyTls(requestOptions, options);
    const where = { host: requestOptions.hostname as string, port: Number(requestOptions.port) };

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const request: ClientRequest = (isHttps ? httpsRequest : httpRequest)(requestOptions, (response: IncomingMessage) => {
        settled = true;
        request.setTimeout(0);
        resolve(toHttpResponse(request, response, timeoutMs, where));
      });
      request.setTimeout(timeoutMs, () => {
        request.destroy(new TransportError('timeout', `GET ${target.origin}${target.pathname} timed out after ${timeoutMs} ms`));
      });
      request.on('error', (error) => {
        if (settled) return;
        settled = true;
        reject(mapNodeError(error, where));
      });
      request.end();
    });
  }

  async #applyTls(requestOptions: HttpsRequestOptions, options: HttpGetOptions): Promise<void> {
    const tls = options.tls;
    requestOptions.rejectUnauthorized = true;
    if (!tls) return;
    if (tls.serverName) requestOptions.servername = tls.serverName;
    Object.assign(requestOptions, await resolveTlsCredentials(this.#keyStore, tls));
  }
}

function toHttpResponse(
  request: ClientRequest,
  response: IncomingMessage,
  timeoutMs: number,
  where: { host: string; port: number },
): HttpResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const body = new NodeBodyReader(request, response, where);
  // A pause between body bytes longer than timeoutMs ends the body with a timeout error.
  response.setTimeout?.(timeoutMs, () => {
    response.destroy(new TransportError('timeout', `body of ${where.host}:${where.port} stalled for ${timeoutMs} ms`));
  });
  return {
    status: response.statusCode ?? 0,
    headers,
    read: (maxBytes) => body.read(maxBytes),
    cancel: () => body.cancel(),
  };
}

/**
 * The body read in paused mode: `read(n)` takes at most n bytes from the message's buffer, and Node
 * stops reading the socket while that buffer is full, so bytes nobody asked for stay in the kernel.
 */
class NodeBodyReader {
  readonly #request: ClientRequest;
  readonly #response: IncomingMessage;
  readonly #where: { host: string; port: number };
  #cancelled = false;
  #ended = false;
  #closed = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(request: ClientRequest, response: IncomingMessage, where: { host: string; port: number }) {
    this.#request = request;
    this.#response = response;
    this.#where = where;
    const wake = () => {
      const resolve = this.#wake;
      this.#wake = undefined;
      resolve?.();
    };
    response.on('readable', wake);
    response.on('end', () => {
      this.#ended = true;
      wake();
    });
    response.on('error', (error) => {
      this.#error ??= error;
      wake();
    });
    response.on('close', () => {
      this.#closed = true;
      wake();
    });
  }

  async read(maxBytes: number): Promise<Uint8Array | undefined> {
    checkReadSize(maxBytes);
    const response = this.#response;
    for (;;) {
      if (this.#cancelled) return undefined;
      if (this.#error) throw this.#mapError(this.#error);
      const available = response.readableLength;
      if (available > 0) {
        const chunk = response.read(Math.min(maxBytes, available)) as Buffer | null;
        if (chunk) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
      if (this.#ended) return undefined;
      if (this.#closed) {
        if (response.complete) return undefined;
        throw new TransportError('closed', `connection to ${this.#where.host}:${this.#where.port} closed before the body was complete`);
      }
      // An empty buffer: ask for more (this also lets 'end' fire at the end of the body), then wait.
      if (response.read(0) === null || response.readableLength === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    }
  }

  cancel(): void {
    this.#cancelled = true;
    this.#response.destroy();
    this.#request.destroy();
    const resolve = this.#wake;
    this.#wake = undefined;
    resolve?.();
  }

  #mapError(error: Error): Error {
    if (error instanceof TransportError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || error.message === 'aborted') {
      return new TransportError('closed', `connection to ${this.#where.host}:${this.#where.port} dropped mid-body`);
    }
    return mapNodeError(error, this.#where);
  }
}
