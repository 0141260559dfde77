import { request as httpRequest, type IncomingMessage, type ClientRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import type { HttpClient, HttpGetOptions, HttpResponse, KeyStoreBackend } from '../pal/index.js';
import { TransportError } from '../pal/index.js';
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
  let cancelled = false;
  // Pause between chunks longer than timeoutMs ends the body with a timeout error.
  response.setTimeout?.(timeoutMs, () => {
    response.destroy(new TransportError('timeout', `body of ${where.host}:${where.port} stalled for ${timeoutMs} ms`));
  });
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
      if (!response.complete && !cancelled) {
        throw new TransportError('closed', `connection to ${where.host}:${where.port} closed before the body was complete`);
      }
    } catch (error) {
      if (cancelled) return;
      if (error instanceof TransportError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error).message === 'aborted') {
        throw new TransportError('closed', `connection to ${where.host}:${where.port} dropped mid-body`);
      }
      throw mapNodeError(error as Error, where);
    }
  }
  return {
    status: response.statusCode ?? 0,
    headers,
    body: body(),
    cancel() {
      cancelled = true;
      response.destroy();
      request.destroy();
    },
  };
}
