/**
 * Downloads an image over HTTP(S) into a firmware slot: one request (`Range: bytes=<position>-`) for
 * the rest of the image, read with `HttpResponse.read` at most as many bytes as fit the write buffer
 * (the only RAM buffer, `writeSize`); a full buffer is hashed and written to flash, and at every
 * block boundary `onBlockWritten` persists progress before a byte of the next block is read. Bytes
 * not read yet stay in the platform's socket buffers, so the device never holds more than one block
 * received and not yet recorded: a power loss costs at most one block of download.
 * A dropped connection is retried from the byte it stopped at (the partial write buffer is still in
 * memory). A server that ignores Range (200) is read from its start, skipping what is in flash.
 */
import type { FirmwareSlots, HttpClient, HttpResponse, IncrementalHash, Logger, Random, SlotName, Timers, TimerHandle, TlsCredentials } from '../../platform/pal/index.js';
import { Backoff } from '../util/backoff.js';
import { DownloadError, ImageSizeError } from './errors.js';
export interface DownloadRequest {
  http: HttpClient;
  slots: FirmwareSlots;
  timers: Timers;
  random: Random;
  log: Logger;
  url: string;
  tls?: TlsCredentials;
  /** Connect / stall timeout per request. */
  timeoutMs?: number;
  slot: SlotName;
  size: number;
  /** The unit of persisted progress: `onBlockWritten` runs at each multiple of it (and at the end). */
  blockSize: number;
  /**
   * Bytes hashed and written to flash at a time: the RAM buffer. A divisor of `blockSize`; default
   * the smaller of `blockSize` and 64 KiB.
   */
  writeSize?: number;
  /** Where to start: a block boundary; bytes before it are in flash and already fed to `hash`. */
  offset: number;
  /** Sees every byte of the image once, in order (the digest and signature check). */
  hash: Pick<IncrementalHash, 'update'>;
  /** Called in order after each block is in flash, with the bytes now durable in the slot. */
  onBlockWritten: (bytesWritten: number) => Promise<void>;
  /**
   * Asked for a fresh URL when the server answers 401/403 (a presigned S3 URL expires after 60-3600 s;
   * the jobs service hands out the document again with a new one). Undefined: no fresh URL.
   */
  refreshUrl?: () => Promise<string | undefined>;
  /** Consecutive attempts without progress before giving up. Default 5. */
  maxAttempts?: number;
  /** Retry delays (full-jitter backoff). */
  retryBaseMs?: number;
  retryCapMs?: number;
}

export interface DownloadStats {
  /** Body bytes received from the network in this run (including any skipped by a server ignoring Range). */
  bytesReceived: number;
  requests: number;
  retries: number;
  resumedFrom: number;
}

/** An error worth another request (connection dropped, 5xx, 408, 429, timeout). */
class RetryableDownloadError extends Error {}

/** 401/403: the URL is no longer accepted (an expired presigned URL). */
class UrlRefusedError extends Error {
  constructor(readonly status: number, readonly host: string) {
    super(`HTTP ${status} from ${host}`);
  }
}

export class ImageDownload {
  readonly #r: DownloadRequest;
  readonly stats: DownloadStats;
  #cancelledWith: Error | undefined;
  #response: HttpResponse | undefined;
  #sleep: { timer: TimerHandle; resolve: () => void } | undefined;
  readonly #buffer: Uint8Array;
  #fill = 0;
  /** Offset in the image of the first byte not yet in flash (the start of the write buffer). */
  #blockStart: number;
  #url: string;
  /** Position at which the URL was last refreshed: a second refusal there is final. */
  #refreshedAt: number | undefined;

  constructor(request: DownloadRequest) {
    const { blockSize, offset, size, slots } = request;
    if (!(blockSize > 0 && blockSize % slots.blockSize === 0)) {
      throw new RangeError(`expected the download block size to be a multiple of the flash block size ${slots.blockSize}, got ${blockSize}`);
    }
    if (offset % blockSize !== 0 || offset < 0 || offset > size) {
      throw new RangeError(`expected the resume offset to be a block boundary within 0..${size}, got ${offset}`);
    }
    const writeSize = request.writeSize ?? Math.min(blockSize, 64 * 1024);
    if (!(Number.isInteger(writeSize) && writeSize > 0 && blockSize % writeSize === 0)) {
      throw new RangeError(`expected writeSize to divide the block size ${blockSize}, got ${writeSize}`);
    }
    this.#r = request;
    this.#buffer = new Uint8Array(writeSize);
    this.#blockStart = offset;
    this.#url = request.url;
    this.stats = { bytesReceived: 0, requests: 0, retries: 0, resumedFrom: offset };
  }

  /** Position in the image of the next byte wanted from the network. */
  get position(): number {
    return this.#blockStart + this.#fill;
  }

  /** Stops the download; `run()` rejects with `reason`. */
  cancel(reason: Error): void {
    if (this.#cancelledWith) return;
    this.#cancelledWith = reason;
    this.#response?.cancel();
    if (this.#sleep) {
      this.#r.timers.clear(this.#sleep.timer);
      this.#sleep.resolve();
    }
  }

  /** Downloads the rest of the image; resolves once every byte is in flash and reported. */
  async run(): Promise<DownloadStats> {
    const { size, log } = this.#r;
    const maxAttempts = this.#r.maxAttempts ?? 5;
    const backoff = new Backoff(this.#r.random, { baseMs: this.#r.retryBaseMs ?? 250, capMs: this.#r.retryCapMs ?? 5_000 });
    let failures = 0;
    while (this.position < size) {
      this.#throwIfCancelled();
      const before = this.position;
      try {
        await this.#attempt();
      } catch (error) {
        this.#throwIfCancelled();
        if (error instanceof UrlRefusedError) {
          const fresh = this.#refreshedAt === this.position ? undefined : await this.#r.refreshUrl?.();
          this.#throwIfCancelled();
          if (fresh === undefined || fresh === this.#url) throw new DownloadError(`${error.message}; no fresh download URL`);
          log.log('info', 'ota', 'download URL refused; continuing with a fresh one', { status: error.status, position: this.position });
          this.#url = fresh;
          this.#refreshedAt = this.position;
          continue;
        }
        if (!(error instanceof RetryableDownloadError)) throw error;
        failures = this.position > before ? 1 : failures + 1;
        if (failures >= maxAttempts) {
          throw new DownloadError(`download failed after ${failures} attempts without progress at ${this.position} of ${size} bytes: ${error.message}`, error);
        }
        this.stats.retries++;
        if (this.position > before) backoff.reset();
        const delay = backoff.next() ?? 0;
        log.log('warn', 'ota', 'download interrupted; retrying', { position: this.position, size, delayMs: delay, error: error.message });
        await this.#delay(delay);
      }
    }
    return this.stats;
  }

  /** One request for the rest of the image (a server ignoring Range sends the whole file). */
  async #attempt(): Promise<void> {
    const { http, size, tls, timeoutMs } = this.#r;
    const url = this.#url;
    const start = this.position;
    this.stats.requests++;
    let response: HttpResponse;
    try {
      response = await http.get(url, {
        range: { start, end: size - 1 },
        ...(tls ? { tls } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
    } catch (error) {
      throw new RetryableDownloadError(`request failed: ${errorText(error)}`);
    }
    this.#response = response;
    if (this.#cancelledWith) response.cancel();
    try {
      const whole = this.#checkResponse(response, start);
      try {
        if (whole) await this.#skip(response, start);
        while (this.position < size) {
          // Never more than the write buffer holds: its end is at or before the current block's end.
          const data = await response.read(Math.min(this.#buffer.length - this.#fill, size - this.position));
          this.#throwIfCancelled();
          if (!data) throw new RetryableDownloadError(`response ended at ${this.position} of ${size} bytes (truncated)`);
          this.stats.bytesReceived += data.length;
          await this.#accept(data);
          this.#throwIfCancelled();
        }
        const extra = await response.read(1);
        if (extra) {
          throw whole
            ? new ImageSizeError(size, size + extra.length, `the server sent more than ${size} bytes`)
            : new DownloadError(`the server sent more than the requested bytes ${start}-${size - 1}`);
        }
      } catch (error) {
        if (error instanceof ImageSizeError || error instanceof DownloadError || this.#cancelledWith) throw this.#cancelledWith ?? error;
        if (error instanceof RetryableDownloadError) throw error;
        throw new RetryableDownloadError(`connection lost at ${this.position} of ${size} bytes: ${errorText(error)}`);
      }
    } finally {
      response.cancel();
      this.#response = undefined;
    }
  }

  /** A server that ignored Range sends from byte 0: read past what is already in flash or in the buffer. */
  async #skip(response: HttpResponse, bytes: number): Promise<void> {
    for (let left = bytes; left > 0; ) {
      const data = await response.read(Math.min(left, this.#buffer.length));
      this.#throwIfCancelled();
      if (!data) throw new RetryableDownloadError(`response ended at byte ${bytes - left} before the resume position ${bytes}`);
      this.stats.bytesReceived += data.length;
      left -= data.length;
    }
  }

  /** Validates status and headers; true when the server ignored Range and sends the whole file. */
  #checkResponse(response: HttpResponse, start: number): boolean {
    const { size } = this.#r;
    const { status, headers } = response;
    const host = hostOf(this.#url);
    if (status === 206) {
      const range = parseContentRange(headers['content-range']);
      if (range) {
        if (range.total !== undefined && range.total !== size) {
          throw new ImageSizeError(size, range.total, `the server's file is ${range.total} bytes`);
        }
        if (range.start !== start) {
          throw new DownloadError(`asked ${host} for bytes ${start}-${size - 1}, got a range from ${range.start}`);
        }
      }
      return false;
    }
    if (status === 200) {
      const length = headers['content-length'];
      if (length !== undefined && Number(length) !== size) {
        throw new ImageSizeError(size, Number(length), `the server's file is ${length} bytes`);
      }
      return true;
    }
    if (status === 416) {
      const range = parseContentRange(headers['content-range']);
      throw new ImageSizeError(size, range?.total ?? start, `the server has no bytes from ${start} (HTTP 416)`);
    }
    if (status === 408 || status === 429 || status >= 500) {
      throw new RetryableDownloadError(`HTTP ${status} from ${host}`);
    }
    if (status === 401 || status === 403) throw new UrlRefusedError(status, host);
    throw new DownloadError(`HTTP ${status} from ${host}`);
  }

  /**
   * Copies bytes into the write buffer; a full buffer goes to flash, and a complete block is recorded
   * (awaited) before going on.
   */
  async #accept(data: Uint8Array): Promise<void> {
    const { size } = this.#r;
    const capacity = this.#buffer.length;
    let offset = 0;
    while (offset < data.length) {
      const n = Math.min(capacity - this.#fill, data.length - offset);
      this.#buffer.set(data.subarray(offset, offset + n), this.#fill);
      this.#fill += n;
      offset += n;
      if (this.#fill === capacity || this.position === size) await this.#flush();
    }
  }

  async #flush(): Promise<void> {
    const chunk = this.#buffer.subarray(0, this.#fill);
    const at = this.#blockStart;
    const { slots, slot, hash, onBlockWritten, blockSize, size } = this.#r;
    hash.update(chunk);
    await slots.write(slot, at, chunk);
    this.#blockStart = at + chunk.length;
    this.#fill = 0;
    if (this.#blockStart % blockSize === 0 || this.#blockStart === size) await onBlockWritten(this.#blockStart);
  }

  #throwIfCancelled(): void {
    if (this.#cancelledWith) throw this.#cancelledWith;
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#r.timers.set(() => {
        this.#sleep = undefined;
        resolve();
      }, ms);
      this.#sleep = { timer, resolve };
    });
  }
}

function parseContentRange(value: string | undefined): { start: number; total: number | undefined } | undefined {
  if (!value) return undefined;
  const match = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(value.trim());
  if (!match) return undefined;
  return { start: match[1] === undefined ? NaN : Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

function hostOf(url: string): string {
  const match = /^https?:\/\/([^/?#]+)/.exec(url);
  return match ? match[1]! : 'server';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
