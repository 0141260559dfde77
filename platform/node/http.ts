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
 * The body as a queue of the chunks Node delivered, handed out by `read(n)` in pieces of at most n
 * bytes (views, never copies). Once the queue holds QUEUE_LIMIT bytes the message is paused, so Node
 * stops reading the socket and the rest stays in the kernel until the caller asks for more.
 */
const QUEUE_LIMIT = 64 * 1024;

class NodeBodyReader {
  readonly #request: ClientRequest;
  readonly #response: IncomingMessage;
  readonly #where: { host: string; port: number };
  readonly #chunks: Uint8Array[] = [];
  #queued = 0;
  #cancelled = false;
  #ended = false;
  #closed = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(request: ClientRequest, response: IncomingMessage, where: { host: string; port: number }) {
    this.#request = request;
    this.#response = response;
    this.#where = where;
    response.on('data', (chunk: Buffer) => {
      this.#chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#queued += chunk.byteLength;
      if (this.#queued >= QUEUE_LIMIT) response.pause();
      this.#wakeReader();
    });
    response.on('end', () => {
      this.#ended = true;
      this.#wakeReader();
    });
    response.on('error', (error) => {
      this.#error ??= error;
      this.#wakeReader();
    });
    response.on('close', () => {
      this.#closed = true;
      this.#wakeReader();
    });
  }

  async read(maxBytes: number): Promise<Uint8Array | undefined> {
    checkReadSize(maxBytes);
    for (;;) {
      if (this.#cancelled) return undefined;
      const head = this.#chunks[0];
      if (head) {
        let piece: Uint8Array;
        if (head.byteLength <= maxBytes) {
          piece = head;
          this.#chunks.shift();
        } else {
          piece = head.subarray(0, maxBytes);
          this.#chunks[0] = head.subarray(maxBytes);
        }
        this.#queued -= piece.byteLength;
        if (this.#queued < QUEUE_LIMIT && this.#response.isPaused()) this.#response.resume();
        return piece;
      }
      if (this.#error) throw this.#mapError(this.#error);
      if (this.#ended) return undefined;
      if (this.#closed) {
        if (this.#response.complete) return undefined;
        throw new TransportError('closed', `connection to ${this.#where.host}:${this.#where.port} closed before the body was complete`);
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #wakeReader(): void {
    const resolve = this.#wake;
    this.#wake = undefined;
    resolve?.();
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
