import type { TlsCredentials } from './transport.js';

export interface HttpGetOptions {
  /** Byte range, both ends inclusive (`Range: bytes=start-end`); `end` omitted means to the end. */
  range?: { start: number; end?: number };
  headers?: Record<string, string>;
  tls?: TlsCredentials;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Body bytes as they arrive; ends early with an error if the connection drops. */
  body: AsyncIterable<Uint8Array>;
  /** Stops reading and closes the connection. */
  cancel(): void;
}

export interface HttpClient {
  get(url: string, options?: HttpGetOptions): Promise<HttpResponse>;
}
