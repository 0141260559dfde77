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
  /**
   * The next body bytes: at least one and at most `maxBytes` (a positive integer), as soon as any have
   * arrived; `undefined` once the body is complete or after `cancel()`. Rejects (TransportError) if
   * the connection drops or stalls before the body is complete.
   * Pull, not push: bytes not asked for stay with the platform (socket buffers, TCP window), so the
   * caller decides what it has received. The OTA downloader relies on it to persist progress at a
   * block boundary before it takes a byte of the next block, and on a device it bounds the RAM a
   * download needs to the caller's buffer.
   */
  read(maxBytes: number): Promise<Uint8Array | undefined>;
  /** Stops reading and closes the connection. */
  cancel(): void;
}

export interface HttpClient {
  get(url: string, options?: HttpGetOptions): Promise<HttpResponse>;
}

/** The argument check every `HttpResponse.read` implementation shares. */
export function checkReadSize(maxBytes: number): void {
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`expected maxBytes to be a positive integer, got ${maxBytes}`);
}
