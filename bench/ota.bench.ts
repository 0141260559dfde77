/**
 * OTA download throughput: a 4 MiB image fetched through the OTA agent's download path (one request
 * for the image, read a write buffer at a time; streaming SHA-256 via Platform.digest (node:crypto);
 * 64 KiB writes into the Node firmware slot files; progress persisted in NodeFileStorage before a
 * byte of the next 256 KiB block is read; then the ECDSA P-256 check), timed from process() to the
 * image being verified, against a bare Node `http.get` of the same file from the same server into
 * memory, both in this run, medians of 15 interleaved repetitions (order rotating). The server (the simulator's
 * firmware handler) runs in a child process, as the cloud does for a device.
 * The headline: slots and storage with `durability: 'process'` (what survives is what survives the
 * process dying, the Node host's model of a power cut; see platform/node/storage.ts). Also shown:
 * the AWS `afr_ota` document (a signature and no SHA-256, so the image is hashed once, inside the
 * verifier, where the simple form's SHA-256 plus signature hash it twice), 64 KiB blocks, the Node
 * platform's defaults (storage 'power': each progress record fsynced), and 'power' for both (every
 * slot write fsynced too).
 */
import { get as httpGet } from 'node:http';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { NodeFirmwareSlots, type SlotDurability } from '../platform/node/firmware-slots.js';
import { NodeFileStorage, type StorageDurability } from '../platform/node/storage.js';
import { NodeHttpClient } from '../platform/node/http.js';
import { NodeDigests } from '../platform/node/node-digests.js';
import { NodeTimers } from '../platform/node/timers.js';
import { NodeRandom } from '../platform/node/random.js';
import { NodeTextCodec } from '../platform/node/text.js';
import { NodeLogger } from '../platform/node/logger.js';
import { NodeKeyStoreBackend } from '../platform/node/keystore-backend.js';
import { OtaAgent, type OtaJobsApi } from '../modules/ota/index.js';
import type { Job } from '../modules/jobs/index.js';
import type { Digests, SystemControl } from '../platform/pal/index.js';
import { rateFigure, type BenchResult } from './figure.js';

const IMAGE_BYTES = 4 * 1024 * 1024;
const REPETITIONS = 15;

class Rebooted extends Error {}

const jobs: OtaJobsApi = {
  updateJobStatus: async (_id, status, statusDetails) => ({ status, ...(statusDetails ? { statusDetails } : {}), versionNumber: 2 }),
  addJobEndedListener: () => () => undefined,
};
const system: SystemControl = {
  reboot: async (reason: string) => {
    throw new Rebooted(reason);
  },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function bareGet(url: string): Promise<number> {
  const t0 = performance.now();
  const bytes = await new Promise<number>((resolve, reject) => {
    httpGet(url, { agent: false }, (res) => {
      let n = 0;
      res.on('data', (chunk: Buffer) => (n += chunk.length));
      res.on('end', () => resolve(n));
      res.on('error', reject);
    }).on('error', reject);
  });
  if (bytes !== IMAGE_BYTES) throw new Error(`bare GET got ${bytes} bytes`);
  return performance.now() - t0;
}

let t0 = 0;
let verifiedAt = 0;

interface Variant {
  label: string;
  /** The AWS `afr_ota` document (signature, no SHA-256) instead of the simple form (both). */
  afrOta?: boolean;
  blockSize?: number;
  storage: StorageDurability;
  slots: SlotDurability;
  /**
   * OTA_BENCH_DIAGNOSTICS=1 only, never a result: the same download with part of the required work
   * taken out, to show where the time goes. 'no-hash': the image is not hashed and the check is
   * assumed to pass; 'no-hash-no-write': nor is it written to the slot.
   */
  diagnostic?: 'no-hash' | 'no-hash-no-write';
}

/** Diagnostics only: a Digests that hashes nothing and reports the expected digest and a valid signature. */
function skippingDigests(sha256: Uint8Array): Digests {
  const nothing = { update: () => undefined, digest: () => sha256 };
  return { sha256: () => nothing, ecdsaP256Sha256Verifier: () => ({ update: () => undefined, verify: () => true }) };
}

interface Documents {
  simple: unknown;
  afrOta: unknown;
  sha256: Uint8Array;
}

async function otaDownload(root: string, documents: Documents, variant: Variant, run: number): Promise<number> {
  const document = variant.afrOta ? documents.afrOta : documents.simple;
  const dir = deviceDir(root, variant, run);
  const slots = new NodeFirmwareSlots(join(dir, 'firmware'), { durability: variant.slots });
  if (variant.diagnostic === 'no-hash-no-write') slots.write = async () => undefined;
  const { blockSize } = variant;
  const backend = new NodeKeyStoreBackend(join(dir, 'keystore'));
  const agent = new OtaAgent({
    platform: {
      storage: new NodeFileStorage(join(dir, 'storage'), { durability: variant.storage }),
      slots,
      http: new NodeHttpClient(backend),
      timers: new NodeTimers(),
      random: new NodeRandom(),
      text: new NodeTextCodec(),
      log: new NodeLogger({ level: 'error' }),
      system,
      digest: variant.diagnostic ? skippingDigests(documents.sha256) : new NodeDigests(),
    },
    jobs,
    keyStore: { getPublicKey: async () => spki, getCertificate: async () => new Uint8Array(0) },
    firmwareVersion: '1.0.0',
    ...(blockSize !== undefined ? { blockSize } : {}),
    onEvent: (e) => {
      if (e.type === 'verified') verifiedAt = performance.now();
      if (process.env.OTA_BENCH_TRACE) console.error(run, blockSize, (performance.now() - t0).toFixed(1), e.type);
    },
  });
  await agent.start();
  const documentText = JSON.stringify(document);
  const job: Job = { jobId: `bench-${run}`, document, documentText, documentBytes: documentText.length, status: 'IN_PROGRESS', statusDetails: {}, versionNumber: 1, executionNumber: 1 };
  t0 = performance.now();
  try {
    await agent.process(job);
    throw new Error('the OTA agent did not activate the image');
  } catch (error) {
    if (!(error instanceof Rebooted)) throw error;
  }
  // Download, hash, flash writes, persisted progress and the signature check; activation (boot-state
  // switch, reboot) is a fixed cost outside the throughput.
  return verifiedAt - t0;
}

let spki: Uint8Array;

function deviceDir(root: string, variant: Variant, run: number): string {
  const dir = join(root, `device-${variant.label.replace(/\W+/g, '-')}-${run}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export default async function otaBench(): Promise<BenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'mi-ota-bench-'));
  const firmwareDir = join(root, 'firmware-server');
  mkdirSync(firmwareDir);
  const image = new Uint8Array(IMAGE_BYTES);
  for (let i = 0; i < image.length; i++) image[i] = (i * 2654435761) >>> 24;
  writeFileSync(join(firmwareDir, 'fw.bin'), image);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const signature = sign('sha256', image, { key: privateKey, dsaEncoding: 'der' }).toString('base64');
  const server = fork(join(import.meta.dirname, 'fixtures', 'firmware-server.ts'), [firmwareDir], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('message', (message) => resolve((message as { port: number }).port));
    server.once('exit', (code) => reject(new Error(`the firmware server exited with code ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/firmware/fw.bin`;
  const sha256 = createHash('sha256').update(image).digest();
  const documents: Documents = {
    sha256,
    simple: { ota: { version: '1.1.0', url, size: IMAGE_BYTES, sha256: sha256.toString('hex'), signature } },
    afrOta: { afr_ota: { protocols: ['HTTP'], files: [{ fileid: 0, filepath: '/fw.bin', filesize: IMAGE_BYTES, update_data_url: url, auth_scheme: 'aws.s3.presigned', 'sig-sha256-ecdsa': signature }] } },
  };
  try {
    const variants: Variant[] = [
      { label: "256 KiB blocks, storage and slots durability 'process'", storage: 'process', slots: 'process' },
      { label: "afr_ota document (signature, no SHA-256: one hash pass), durability 'process'", afrOta: true, storage: 'process', slots: 'process' },
      { label: "64 KiB blocks, durability 'process'", blockSize: 64 * 1024, storage: 'process', slots: 'process' },
      { label: "Node platform defaults: storage 'power', slots 'process'", storage: 'power', slots: 'process' },
      { label: "durability 'power' for both", storage: 'power', slots: 'power' },
    ];
    if (process.env.OTA_BENCH_DIAGNOSTICS) {
      variants.push(
        { label: 'diagnostic: headline without hashing or the signature check', diagnostic: 'no-hash', storage: 'process', slots: 'process' },
        { label: 'diagnostic: headline without hashing, signature check or slot writes', diagnostic: 'no-hash-no-write', storage: 'process', slots: 'process' },
      );
    }
    const ours = new Map<string, number[]>(variants.map((v) => [v.label, []]));
    const peer: number[] = [];
    // warm-up (JIT, P-256 tables, page cache)
    await bareGet(url);
    await otaDownload(root, documents, variants[0]!, -1);
    // The order rotates each repetition: whichever download runs right after another pays for the
    // garbage it left (a collection of 5-16 ms), so a fixed order would favour some of them.
    const contenders: Array<Variant | 'peer'> = ['peer', ...variants];
    for (let run = 0; run < REPETITIONS * contenders.length; run++) {
      const contender = contenders[(run + Math.floor(run / contenders.length)) % contenders.length]!;
      if (contender === 'peer') peer.push(await bareGet(url));
      else ours.get(contender.label)!.push(await otaDownload(root, documents, contender, run));
    }
    const mbps = (ms: number) => IMAGE_BYTES / 1e6 / (ms / 1000);
    const peerRate = mbps(median(peer));
    const result: BenchResult = {};
    for (const variant of variants) {
      result[`ota 4 MiB download+verify+write (${variant.label})`] = rateFigure(
        mbps(median(ours.get(variant.label)!)),
        'MB/s',
        'bare Node http.get',
        peerRate,
        variant === variants[0] ? 'ratio >= 0.8' : undefined,
      );
    }
    return result;
  } finally {
    server.kill();
    rmSync(root, { recursive: true, force: true });
  }
}
