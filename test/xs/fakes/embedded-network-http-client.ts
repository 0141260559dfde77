/**
 * Lane fake of ECMA-419 `embedded:network/http/client`: serves files of `httpFake.sites` by host and
 * path, honours `Range: bytes=a-b` with 206, streams the body in 1,000-byte onReadable chunks on the
 * virtual clock, and can drop the connection after `dropAfter` body bytes (onDone with an error).
 * It checks the options a platform must pass: a `dns` resolver setup and, for a TLS site, the TLS
 * socket with a `secure.certificate` that includes the site's CA.
 */
import { virtualTime } from '../virtual-time.js';
import TLSSocket from './embedded-io-socket-tcp-tls.js';

export interface FakeSite {
  port: number;
  files: Map<string, Uint8Array>;
  caDer?: Uint8Array;
  dropAfter?: number;
}

export const httpFake = {
  sites: new Map<string, FakeSite>(),
  requests: [] as { host: string; path: string; headers: Record<string, string> }[],
};

interface ClientOptions {
  host: string;
  port?: number;
  dns?: { io?: unknown; servers?: string[] };
  socket: { io: unknown; secure?: { certificate?: ArrayBuffer } };
  onError?: () => void;
}

interface Request {
  method?: string;
  path?: string;
  headers?: Map<string, string>;
  onHeaders?: (this: RequestHandle, status: number, headers: Map<string, string>) => void;
  onReadable?: (this: RequestHandle, count: number) => void;
  onDone?: (this: RequestHandle, error: Error | null) => void;
}

class RequestHandle {
  #pending: Uint8Array | undefined;
  constructor(readonly client: HTTPClient) {}
  offer(bytes: Uint8Array): void {
    this.#pending = bytes;
  }
  read(count?: number): ArrayBuffer | undefined {
    const pending = this.#pending;
    if (!pending) return undefined;
    const take = Math.min(count ?? pending.length, pending.length);
    const out = pending.slice(0, take);
    this.#pending = take === pending.length ? undefined : pending.subarray(take);
    return out.buffer;
  }
  write(): void {
    throw new Error('GET only in the lane fake');
  }
}

export default class HTTPClient {
  readonly #options: ClientOptions;
  #closed = false;

  constructor(options: ClientOptions) {
    this.#options = options;
    if (!options.dns?.io || !options.dns.servers?.length) throw new Error('dns options required');
    if (!options.socket?.io) throw new Error('socket.io required');
  }

  request(request: Request): RequestHandle {
    const handle = new RequestHandle(this);
    const site = httpFake.sites.get(this.#options.host);
    const headers: Record<string, string> = {};
    request.headers?.forEach((value, name) => (headers[name] = value));
    httpFake.requests.push({ host: this.#options.host, path: request.path ?? '/', headers });
    virtualTime.set(() => {
      if (this.#closed) return;
      if (!site || site.port !== (this.#options.port ?? 80)) {
        this.#options.onError?.();
        return;
      }
      if (site.caDer) {
        const secure = this.#options.socket.secure;
        const der = secure?.certificate;
        const ca = site.caDer;
        const ok = this.#options.socket.io === TLSSocket && der instanceof ArrayBuffer && der.byteLength === ca.length && new Uint8Array(der).every((x, i) => x === ca[i]);
        if (!ok) {
          this.#options.onError?.();
          return;
        }
      }
      const file = site.files.get(request.path ?? '/');
      if (!file) {
        request.onHeaders?.call(handle, 404, new Map([['content-length', '0']]));
        request.onDone?.call(handle, null);
        return;
      }
      let body = file;
      let status = 200;
      const responseHeaders = new Map<string, string>();
      const range = /^bytes=(\d+)-(\d*)$/.exec(headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] === '' ? file.length - 1 : Math.min(Number(range[2]), file.length - 1);
        if (start >= file.length) {
          request.onHeaders?.call(handle, 416, new Map([['content-range', `bytes */${file.length}`]]));
          request.onDone?.call(handle, null);
          return;
        }
        body = file.subarray(start, end + 1);
        status = 206;
        responseHeaders.set('content-range', `bytes ${start}-${end}/${file.length}`);
      }
      responseHeaders.set('content-length', String(body.length));
      request.onHeaders?.call(handle, status, responseHeaders);
      let sent = 0;
      const pump = () => {
        if (this.#closed) return;
        if (site.dropAfter !== undefined && sent >= site.dropAfter) {
          request.onDone?.call(handle, new Error('connection reset'));
          return;
        }
        if (sent >= body.length) {
          request.onDone?.call(handle, null);
          return;
        }
        const limit = site.dropAfter === undefined ? body.length : Math.min(body.length, site.dropAfter);
        const chunk = body.subarray(sent, Math.min(sent + 1000, limit));
        sent += chunk.length;
        handle.offer(chunk);
        request.onReadable?.call(handle, chunk.length);
        virtualTime.set(pump, 1);
      };
      virtualTime.set(pump, 1);
    }, 30);
    return handle;
  }

  close(): void {
    this.#closed = true;
  }
}
