/**
 * OTA download throughput: a 4 MiB image fetched through the OTA agent's download path (one Range
 * request per block, streaming SHA-256 via Platform.digest, writes into the Node firmware slot files
 * with fsync, progress persisted per block, then the ECDSA P-256 check) — timed from process() to the
 * image being verified — against a bare Node `http.get` of the same file from the same server (the
 * simulator's firmware handler) into memory, both in this run, medians of 7 interleaved repetitions.
 * Block sizes: the default 64 KiB with one request per block (a power loss costs at most 64 KiB of
 * download), 1 MiB blocks, and 64 KiB blocks fetched in one request (blocksPerRequest 64).
 */
import { createServer, get as httpGet, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { serveFirmware } from '../simulator/firmware-files.js';
import { NodeFirmwareSlots } from '../platform/node/firmware-slots.js';
import { NodeFileStorage } from '../platform/node/storage.js';
import { NodeHttpClient } from '../platform/node/http.js';
import { NodeDigests } from '../platform/node/node-digests.js';
import { NodeTimers } from '../platform/node/timers.js';
import { NodeRandom } from '../platform/node/random.js';
import { NodeTextCodec } from '../platform/node/text.js';
import { NodeLogger } from '../platform/node/logger.js';
import { NodeKeyStoreBackend } from '../platform/node/keystore-backend.js';
import { OtaAgent, type OtaJobsApi } from '../modules/ota/index.js';
import type { Job } from '../modules/jobs/index.js';
import type { SystemControl } from '../platform/pal/index.js';
import { rateFigure, type BenchResult } from './figure.js';

const IMAGE_BYTES = 4 * 1024 * 1024;
const REPETITIONS = 7;

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

async function otaDownload(root: string, url: string, document: unknown, blockSize: number, run: number, blocksPerRequest = 1): Promise<number> {
  const dir = join(root, `device-${blockSize}-${blocksPerRequest}-${run}`);
  mkdirSync(dir, { recursive: true });
  const backend = new NodeKeyStoreBackend(join(dir, 'keystore'));
  const agent = new OtaAgent({
    platform: {
      storage: new NodeFileStorage(join(dir, 'storage')),
      slots: new NodeFirmwareSlots(join(dir, 'firmware')),
      http: new NodeHttpClient(backend),
      timers: new NodeTimers(),
      random: new NodeRandom(),
      text: new NodeTextCodec(),
      log: new NodeLogger({ level: 'error' }),
      system,
      digest: new NodeDigests(),
    },
    jobs,
    keyStore: { getPublicKey: async () => spki, getCertificate: async () => new Uint8Array(0) },
    firmwareVersion: '1.0.0',
    blockSize,
    blocksPerRequest,
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

export default async function otaBench(): Promise<BenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'mi-ota-bench-'));
  const firmwareDir = join(root, 'firmware-server');
  mkdirSync(firmwareDir);
  const image = new Uint8Array(IMAGE_BYTES);
  for (let i = 0; i < image.length; i++) image[i] = (i * 2654435761) >>> 24;
  writeFileSync(join(firmwareDir, 'fw.bin'), image);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const document = {
    ota: {
      version: '1.1.0',
      url: '',
      size: IMAGE_BYTES,
      sha256: createHash('sha256').update(image).digest('hex'),
      signature: sign('sha256', image, { key: privateKey, dsaEncoding: 'der' }).toString('base64'),
    },
  };
  const server: Server = createServer((req, res) => serveFirmware(firmwareDir, 'fw.bin', req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/firmware/fw.bin`;
  document.ota.url = url;
  try {
    const blockSizes = [64 * 1024, 1024 * 1024];
    const ours = new Map<number, number[]>(blockSizes.map((b) => [b, []]));
    const streamed: number[] = [];
    const peer: number[] = [];
    // warm-up (JIT, P-256 tables, page cache)
    await bareGet(url);
    await otaDownload(root, url, document, 64 * 1024, -1);
    for (let run = 0; run < REPETITIONS; run++) {
      peer.push(await bareGet(url));
      for (const blockSize of blockSizes) ours.get(blockSize)!.push(await otaDownload(root, url, document, blockSize, run));
      streamed.push(await otaDownload(root, url, document, 64 * 1024, run, 64));
    }
    const mbps = (ms: number) => IMAGE_BYTES / 1e6 / (ms / 1000);
    const peerRate = mbps(median(peer));
    const result: BenchResult = {};
    for (const blockSize of blockSizes) {
      const label = blockSize >= 1024 * 1024 ? `${blockSize / 1024 / 1024} MiB` : `${blockSize / 1024} KiB`;
      result[`ota 4 MiB download+verify+write (${label} blocks)`] = rateFigure(
        mbps(median(ours.get(blockSize)!)),
        'MB/s',
        'bare Node http.get',
        peerRate,
        'ratio >= 0.8',
      );
    }
    result['ota 4 MiB download+verify+write (64 KiB blocks, one request)'] = rateFigure(
      mbps(median(streamed)),
      'MB/s',
      'bare Node http.get',
      peerRate,
      'ratio >= 0.8',
    );
    return result;
  } finally {
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
}
