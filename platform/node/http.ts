import { request as httpRequest, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import type { HttpClient, HttpGetOptions, HttpResponse, KeyStoreBackend } from '../pal/index.js';
import { TransportError } from '../pal/index.js';
import { ChunkQueue } from '../../modules/util/chunk-queue.js';
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
 * The body as the chunks Node delivered, in a ChunkQueue that hands them out as views. Once the queue
 * holds QUEUE_LIMIT bytes the message is paused, so Node stops reading the socket and the rest stays
 * in the kernel until the caller asks for more.
 */
const QUEUE_LIMIT = 64 * 1024;

class NodeBodyReader {
  readonly #request: ClientRequest;
  readonly #response: IncomingMessage;
  readonly #where: { host: string; port: number };
  readonly #queue = new ChunkQueue();

  constructor(request: ClientRequest, response: IncomingMessage, where: { host: string; port: number }) {
    this.#request = request;
    this.#response = response;
    this.#where = where;
    const queue = this.#queue;
    queue.onTaken = () => {
      if (queue.queuedBytes < QUEUE_LIMIT && response.isPaused()) response.resume();
    };
    response.on('data', (chunk: Buffer) => {
      queue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (queue.queuedBytes >= QUEUE_LIMIT) response.pause();
    });
    response.on('end', () => queue.end());
    response.on('error', (error) => queue.end(this.#mapError(error)));
    response.on('close', () => {
      queue.end(response.complete ? undefined : new TransportError('closed', `connection to ${where.host}:${where.port} closed before the body was complete`));
    });
  }

  read(maxBytes: number): Promise<Uint8Array | undefined> {
    return this.#queue.read(maxBytes);
  }

  cancel(): void {
    this.#queue.discard();
    this.#response.destroy();
    this.#request.destroy();
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
