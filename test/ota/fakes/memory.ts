/**
 * Portable test doubles for the OTA agent (no Node APIs: the same file runs in vitest and in the XS
 * lane): NOR-flash firmware slots with an A/B boot loader, a scripted HTTP server with Range and
 * fault injection, the jobs API, a key store holding the code-signing key, and a reboot that throws.
 */
import { p256 } from '@noble/curves/p256';
import { sha256 } from '@noble/hashes/sha2';
import type {
  BootState,
  FirmwareSlots,
  HttpClient,
  HttpGetOptions,
  HttpResponse,
  KeyValueStorage,
  SlotName,
  SystemControl,
} from '../../../platform/pal/index.js';
import { checkReadSize } from '../../../platform/pal/index.js';
import type { DeviceJobStatus, JobEndedListener, JobExecution, JobExecutionState, StatusDetails } from '../../../modules/jobs/index.js';
import { JobsRequestRejectedError } from '../../../modules/jobs/index.js';
import type { OtaJobsApi } from '../../../modules/ota/index.js';

export class MemoryStorage implements KeyValueStorage {
  readonly values = new Map<string, Uint8Array>();
  writes = 0;
  async get(key: string) {
    return this.values.get(key)?.slice();
  }
  async set(key: string, value: Uint8Array) {
    if (key.length > 15) throw new RangeError(`key ${key} longer than 15`);
    if (value.length > 4000) throw new RangeError(`value of ${value.length} bytes`);
    this.writes++;
    this.values.set(key, value.slice());
  }
  async delete(key: string) {
    this.values.delete(key);
  }
  async keys() {
    return [...this.values.keys()];
  }
}

interface BootRecord {
  running: SlotName;
  previous: SlotName | undefined;
  nextBoot: SlotName;
  pendingVerify: boolean;
}

/** Flash with NOR rules (write only erased bytes) and the boot rules of an ESP-IDF-style loader. */
export class MemoryFirmwareSlots implements FirmwareSlots {
  readonly blockSize: number;
  readonly slotSize: number;
  readonly flash: Record<SlotName, Uint8Array>;
  record: BootRecord = { running: 'A', previous: undefined, nextBoot: 'A', pendingVerify: false };
  bytesWritten = 0;
  bytesRead = 0;

  constructor(slotSize = 256 * 1024, blockSize = 4096) {
    this.slotSize = slotSize;
    this.blockSize = blockSize;
    this.flash = { A: new Uint8Array(slotSize).fill(0xff), B: new Uint8Array(slotSize).fill(0xff) };
  }

  async erase(slot: SlotName, offset: number, length: number) {
    if (offset % this.blockSize || length % this.blockSize) throw new RangeError(`unaligned erase ${offset}+${length}`);
    if (offset + length > this.slotSize) throw new RangeError(`erase past the slot: ${offset}+${length}`);
    this.flash[slot].fill(0xff, offset, offset + length);
  }

  async write(slot: SlotName, offset: number, data: Uint8Array) {
    if (offset + data.length > this.slotSize) throw new RangeError(`write past the slot: ${offset}+${data.length}`);
    const flash = this.flash[slot];
    for (let i = 0; i < data.length; i++) {
      if (flash[offset + i] !== 0xff) throw new Error(`write to unerased flash at ${slot}:${offset + i}`);
    }
    flash.set(data, offset);
    this.bytesWritten += data.length;
  }

  async read(slot: SlotName, offset: number, length: number) {
    this.bytesRead += length;
    return this.flash[slot].slice(offset, offset + length);
  }

  async bootState(): Promise<BootState> {
    const r = this.record;
    return { running: r.running, pendingVerify: r.pendingVerify, previous: r.previous, nextBoot: r.nextBoot };
  }

  async setNextBoot(slot: SlotName) {
    if (this.record.pendingVerify) throw new Error('pending verification');
    this.record.nextBoot = slot;
  }

  async markValid() {
    this.record.pendingVerify = false;
    this.record.nextBoot = this.record.running;
  }

  async rollback() {
    if (!this.record.pendingVerify || !this.record.previous) throw new Error('nothing to roll back');
    this.record.nextBoot = this.record.previous;
  }

  /** A reset: applies the boot rules (an unverified image rolls back) and returns the new state. */
  boot(): BootState {
    const r = this.record;
    if (r.pendingVerify && r.previous) {
      const failed = r.running;
      r.running = r.previous;
      r.previous = failed;
      r.pendingVerify = false;
    } else if (r.nextBoot !== r.running) {
      r.previous = r.running;
      r.running = r.nextBoot;
      r.pendingVerify = true;
    }
    r.nextBoot = r.running;
    return { running: r.running, pendingVerify: r.pendingVerify, previous: r.previous, nextBoot: r.nextBoot };
  }
}

export interface HttpFaults {
  /** Drop the connection after sending this many body bytes (per request), for the next N requests. */
  dropAfterBytes?: number;
  dropTimes?: number;
  /** The server's file is shorter than the image (a truncated upload). */
  serveLength?: number;
  /** Ignore Range and always answer 200 with the whole file. */
  ignoreRange?: boolean;
  /** Answer every request with this status. */
  status?: number;
  /** Answer 403 for URLs this says are refused (an expired presigned URL). */
  refuse?: (url: string) => boolean;
  /** Before each chunk (lets a test act mid-download, e.g. cancel or cut the power). */
  onChunk?: (requestIndex: number, offset: number) => void | Promise<void>;
}

export interface RequestLogEntry {
  url: string;
  start: number;
  end: number | undefined;
  bytesSent: number;
}

/** An HTTP "server" in memory: serves `image` in chunks with Range, and faults on request. */
export class ScriptedHttpClient implements HttpClient {
  readonly requests: RequestLogEntry[] = [];
  faults: HttpFaults = {};

  constructor(public image: Uint8Array, public chunkSize = 1460 * 4) {}

  async get(url: string, options: HttpGetOptions = {}): Promise<HttpResponse> {
    const faults = this.faults;
    const fileLength = faults.serveLength ?? this.image.length;
    const file = this.image.subarray(0, fileLength);
    const entry: RequestLogEntry = { url, start: options.range?.start ?? 0, end: options.range?.end, bytesSent: 0 };
    this.requests.push(entry);
    const index = this.requests.length - 1;
    if (faults.status) return response(faults.status, {}, new Uint8Array(0), entry);
    if (faults.refuse?.(url)) return response(403, {}, new Uint8Array(0), entry);
    if (!options.range || faults.ignoreRange) {
      return response(200, { 'content-length': String(file.length) }, file, entry, faults, index, 0, this);
    }
    const start = options.range.start;
    const end = Math.min(options.range.end ?? file.length - 1, file.length - 1);
    if (start >= file.length) return response(416, { 'content-range': `bytes */${file.length}` }, new Uint8Array(0), entry);
    const body = file.subarray(start, end + 1);
    return response(
      206,
      { 'content-range': `bytes ${start}-${end}/${file.length}`, 'content-length': String(body.length) },
      body,
      entry,
      faults,
      index,
      start,
      this,
    );
  }
}

function response(
  status: number,
  headers: Record<string, string>,
  body: Uint8Array,
  entry: RequestLogEntry,
  faults: HttpFaults = {},
  index = 0,
  start = 0,
  server?: ScriptedHttpClient,
): HttpResponse {
  let cancelled = false;
  const chunkSize = server?.chunkSize ?? 4096;
  const drop = faults.dropAfterBytes !== undefined && (faults.dropTimes ?? Infinity) > 0 ? faults.dropAfterBytes : undefined;
  if (drop !== undefined && faults.dropTimes !== undefined) faults.dropTimes--;
  // Bytes arrive in "packets" of chunkSize; a read takes at most what is left of the current one.
  let at = 0;
  return {
    status,
    headers,
    async read(maxBytes) {
      checkReadSize(maxBytes);
      if (cancelled || at >= body.length) return undefined;
      if (drop !== undefined && at >= drop) throw new Error('connection reset by peer');
      if (at % chunkSize === 0) await faults.onChunk?.(index, start + at);
      if (cancelled) return undefined;
      const packetEnd = Math.min(body.length, at - (at % chunkSize) + chunkSize, drop ?? Infinity);
      const chunk = body.slice(at, Math.min(packetEnd, at + maxBytes));
      at += chunk.length;
      entry.bytesSent += chunk.length;
      return chunk;
    },
    cancel() {
      cancelled = true;
    },
  };
}

export interface RecordedUpdate {
  jobId: string;
  status: DeviceJobStatus;
  statusDetails: StatusDetails | undefined;
}

/** The jobs API as the OTA agent sees it; records updates and can end a job like a cancellation. */
export class FakeJobs implements OtaJobsApi {
  readonly updates: RecordedUpdate[] = [];
  readonly listeners = new Set<JobEndedListener>();
  /** Statuses of jobs the "service" considers ended; updates to them are rejected. */
  readonly ended = new Map<string, string>();
  /** When set, updates fail with this error (e.g. offline). */
  failWith: Error | undefined;
  /** Job documents DescribeJobExecution returns (the service's current version of each). */
  readonly documents = new Map<string, unknown>();
  describes = 0;

  async describeJob(jobId: string): Promise<JobExecution | undefined> {
    this.describes++;
    const document = this.documents.get(jobId);
    return document === undefined ? undefined : { jobId, status: 'IN_PROGRESS', jobDocument: document, versionNumber: 3 };
  }

  async updateJobStatus(jobId: string, status: DeviceJobStatus, statusDetails?: StatusDetails): Promise<JobExecutionState> {
    if (this.failWith) throw this.failWith;
    const endedStatus = this.ended.get(jobId);
    if (endedStatus) {
      throw new JobsRequestRejectedError(`UpdateJobExecution ${jobId}`, 'InvalidStateTransition', 'job ended', {
        status: endedStatus as JobExecutionState['status'],
      });
    }
    this.updates.push({ jobId, status, statusDetails });
    return { status, ...(statusDetails ? { statusDetails } : {}), versionNumber: this.updates.length + 1 };
  }

  addJobEndedListener(listener: JobEndedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The service cancels the job: later updates are rejected and listeners hear about it. */
  cancel(jobId: string, status = 'CANCELED'): void {
    this.ended.set(jobId, status);
    for (const l of [...this.listeners]) l(jobId, status as JobExecutionState['status']);
  }

  terminal(jobId: string): RecordedUpdate | undefined {
    return this.updates.filter((u) => u.jobId === jobId && u.status !== 'IN_PROGRESS').at(-1);
  }
}

/** The P-256 SPKI header (id-ecPublicKey, prime256v1, BIT STRING of 66 bytes). */
const SPKI_P256_PREFIX = [
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
  0x07, 0x03, 0x42, 0x00,
];

export function spkiFromPoint(point: Uint8Array): Uint8Array {
  const out = new Uint8Array(SPKI_P256_PREFIX.length + point.length);
  out.set(SPKI_P256_PREFIX);
  out.set(point, SPKI_P256_PREFIX.length);
  return out;
}

export class FakeKeyStore {
  readonly publicKeys = new Map<string, Uint8Array>();
  async getPublicKey(label: string): Promise<Uint8Array> {
    const key = this.publicKeys.get(label);
    if (!key) throw new Error(`no object labelled "${label}"`);
    return key;
  }
  async getCertificate(label: string): Promise<Uint8Array> {
    throw new Error(`no certificate labelled "${label}"`);
  }
}

/** A code-signing key pair; signs SHA-256 of an image with a DER signature, like `mi-cloud sign-firmware`. */
export class CodeSigner {
  readonly secretKey: Uint8Array;
  readonly spki: Uint8Array;
  constructor(seed?: Uint8Array) {
    this.secretKey = seed ?? p256.utils.randomPrivateKey();
    this.spki = spkiFromPoint(p256.getPublicKey(this.secretKey, false));
  }
  sign(image: Uint8Array): Uint8Array {
    return p256.sign(sha256(image), this.secretKey, { prehash: false }).toDERRawBytes();
  }
}

export class RebootRequested extends Error {
  constructor(readonly reason: string) {
    super(`reboot: ${reason}`);
  }
}

/** reboot() rejects with RebootRequested, so a test sees where the device would have reset. */
export class ThrowingSystem implements SystemControl {
  readonly reboots: string[] = [];
  async reboot(reason: string): Promise<never> {
    this.reboots.push(reason);
    throw new RebootRequested(reason);
  }
}

/** Deterministic pseudo-random image bytes. */
export function makeImage(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
