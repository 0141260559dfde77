import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2';
import { OtaAgent, OTA_STATE_KEY, type OtaAgentOptions, type OtaOutcome } from '../../modules/ota/index.js';
import type { Job } from '../../modules/jobs/index.js';
import type { Digests } from '../../platform/pal/index.js';
import { NodeDigests } from '../../platform/node/node-digests.js';
import { encodeBase64 } from '../../modules/codec/base64.js';
import { encodeHex } from '../../modules/codec/hex.js';
import { TimeoutError } from '../../modules/util/errors.js';
import { nodeRandom, nodeText, nodeTimers, MemoryLogger } from '../jobs/fakes.js';
import {
  CodeSigner,
  FakeJobs,
  FakeKeyStore,
  makeImage,
  MemoryFirmwareSlots,
  MemoryStorage,
  RebootRequested,
  ScriptedHttpClient,
  ThrowingSystem,
} from './fakes/memory.js';

const BLOCK = 16 * 1024;
const URL = 'http://firmware.local/fw.bin';

/** One simulated device: flash, storage, a firmware server, the jobs service and its key store. */
function makeDevice(imageSize = 100_000) {
  const image = makeImage(imageSize, 7);
  const signer = new CodeSigner();
  const keyStore = new FakeKeyStore();
  keyStore.publicKeys.set('Code Sign Cert', signer.spki);
  const device = {
    image,
    signer,
    keyStore,
    slots: new MemoryFirmwareSlots(256 * 1024, 4096),
    storage: new MemoryStorage(),
    http: new ScriptedHttpClient(image, 3000),
    jobs: new FakeJobs(),
    system: new ThrowingSystem(),
    log: new MemoryLogger(),
    /** The platform's native digests, when a test wants them (node:crypto); default none: noble. */
    digest: undefined as Digests | undefined,
    agent(version: string, extra: Partial<OtaAgentOptions> = {}) {
      return new OtaAgent({
        platform: {
          storage: device.storage,
          slots: device.slots,
          http: device.http,
          timers: nodeTimers,
          random: nodeRandom,
          text: nodeText,
          log: device.log,
          system: device.system,
          ...(device.digest ? { digest: device.digest } : {}),
        },
        jobs: device.jobs,
        keyStore: device.keyStore,
        firmwareVersion: version,
        blockSize: BLOCK,
        retryBaseMs: 1,
        retryCapMs: 5,
        ...extra,
      });
    },
    simpleJob(jobId: string, overrides: Record<string, unknown> = {}): Job {
      const document = {
        ota: {
          version: '1.1.0',
          url: URL,
          size: image.length,
          sha256: encodeHex(sha256(image)),
          signature: encodeBase64(signer.sign(image)),
          ...overrides,
        },
      };
      return job(jobId, document);
    },
  };
  return device;
}

function job(jobId: string, document: unknown, statusDetails: Record<string, string> = {}): Job {
  const documentText = JSON.stringify(document);
  return { jobId, document, documentText, documentBytes: documentText.length, status: 'IN_PROGRESS', statusDetails, versionNumber: 1, executionNumber: 1 };
}

async function expectReboot(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RebootRequested);
  return (error as RebootRequested).reason;
}

describe('OtaAgent', () => {
  it('downloads, verifies, activates, and after the reboot self-tests and reports SUCCEEDED', async () => {
    const d = makeDevice();
    let selfTests = 0;
    const agent = d.agent('1.0.0');
    expect(await agent.start()).toEqual({ kind: 'none' });
    const reason = await expectReboot(agent.process(d.simpleJob('job-1')));
    expect(reason).toMatch(/activating 1\.1\.0 in slot B/);
    expect(d.slots.flash.B.subarray(0, d.image.length)).toEqual(d.image);
    expect(d.slots.record).toMatchObject({ running: 'A', nextBoot: 'B', pendingVerify: false });
    const inProgress = d.jobs.updates.filter((u) => u.status === 'IN_PROGRESS').map((u) => u.statusDetails);
    expect(inProgress[0]).toEqual({ step: 'download', receive: `0/${d.image.length}` });
    expect(inProgress.at(-1)).toEqual({ step: 'self-test', self_test: 'ready', updatedBy: '1.0.0' });
    // progress at 10 % steps with 16 KiB blocks of a 100,000-byte image: one report per block boundary crossing a step
    const receives = inProgress.filter((s) => s?.step === 'download').map((s) => s!.receive);
    expect(receives.length).toBeGreaterThan(3);
    expect(d.jobs.terminal('job-1')).toBeUndefined();

    // Reset: the boot loader starts slot B pending verification; the new image (v1.1.0) boots.
    d.slots.boot();
    const next = d.agent('1.1.0', { selfTest: () => void selfTests++ });
    expect(await next.start()).toEqual({ kind: 'accepted', jobId: 'job-1', version: '1.1.0', reported: true });
    expect(selfTests).toBe(1);
    expect(d.slots.record).toMatchObject({ running: 'B', pendingVerify: false });
    expect(d.jobs.terminal('job-1')).toEqual({ jobId: 'job-1', status: 'SUCCEEDED', statusDetails: { reason: 'accepted v1.1.0', self_test: 'accepted' } });
    expect(d.storage.values.has(OTA_STATE_KEY)).toBe(false);
  });

  it('process() of the job that start() just settled after the reboot returns that verdict and reports nothing else', async () => {
    const d = makeDevice();
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-1')));
    d.slots.boot();
    // The new image's loop takes the IN_PROGRESS copy StartNext handed out at boot, without calling start() first.
    const next = d.agent('1.1.0');
    const copy = { ...d.simpleJob('job-1'), statusDetails: { step: 'self-test', self_test: 'ready', updatedBy: '1.0.0' } };
    expect(await next.process(copy)).toEqual({ status: 'SUCCEEDED', jobId: 'job-1', reason: 'accepted v1.1.0', reported: true });
    expect(d.jobs.updates.filter((u) => u.status !== 'IN_PROGRESS').map((u) => u.status)).toEqual(['SUCCEEDED']);
    expect(d.storage.values.has(OTA_STATE_KEY)).toBe(false);
  });

  it('writes flash in writeSize pieces and records progress only at block boundaries', async () => {
    const d = makeDevice();
    const progress: number[] = [];
    const writes: number[] = [];
    const write = d.slots.write.bind(d.slots);
    d.slots.write = async (slot, offset, data) => {
      writes.push(data.length);
      return write(slot, offset, data);
    };
    const agent = d.agent('1.0.0', { blockSize: 32 * 1024, writeSize: 8 * 1024, onEvent: (e) => e.type === 'progress' && progress.push(e.bytesWritten) });
    await expectReboot(agent.process(d.simpleJob('job-pieces')));
    expect(d.slots.flash.B.subarray(0, d.image.length)).toEqual(d.image);
    expect(progress).toEqual([32768, 65536, 98304, d.image.length]);
    expect(Math.max(...writes)).toBe(8 * 1024);
    expect(writes.reduce((a, b) => a + b, 0)).toBe(d.image.length);
    expect(() => d.agent('1.0.0', { blockSize: 32 * 1024, writeSize: 12 * 1024 })).toThrow(/writeSize to divide the block size 32768, got 12288/);
  });

  it('never activates an image whose signature does not verify', async () => {
    const d = makeDevice();
    const other = new CodeSigner();
    const outcome = await d.agent('1.0.0').process(d.simpleJob('job-sig', { signature: encodeBase64(other.sign(d.image)) }));
    expect(outcome).toMatchObject({ status: 'FAILED', reason: 'image signature does not verify with code-signing key "Code Sign Cert"' });
    expect(d.system.reboots).toEqual([]);
    expect(d.slots.record).toMatchObject({ running: 'A', nextBoot: 'A', pendingVerify: false });
    // the slot's first block is erased: nothing bootable is left behind
    expect(d.slots.flash.B.subarray(0, 4096).every((b) => b === 0xff)).toBe(true);
    expect(d.jobs.terminal('job-sig')?.status).toBe('FAILED');
  });

  it('never activates an afr_ota image whose signature does not verify, with a native verifier or noble', async () => {
    for (const digest of [new NodeDigests(), undefined]) {
      const d = makeDevice();
      d.digest = digest;
      const file = { fileid: 0, filesize: d.image.length, update_data_url: URL, 'sig-sha256-ecdsa': encodeBase64(new CodeSigner().sign(d.image)) };
      const outcome = await d.agent('1.0.0').process(job('afr-sig', { afr_ota: { protocols: ['HTTP'], files: [file] } }));
      expect(outcome).toMatchObject({ status: 'FAILED', reason: 'image signature does not verify with code-signing key "Code Sign Cert"' });
      expect(d.system.reboots).toEqual([]);
      expect(d.slots.record).toMatchObject({ running: 'A', nextBoot: 'A', pendingVerify: false });
      // and the same device takes the image signed by its key
      const good = { ...file, 'sig-sha256-ecdsa': encodeBase64(d.signer.sign(d.image)) };
      await expectReboot(d.agent('1.0.0').process(job('afr-good', { afr_ota: { protocols: ['HTTP'], files: [good] } })));
      expect(d.slots.record).toMatchObject({ nextBoot: 'B' });
    }
  });

  it('fails on a SHA-256 mismatch before checking the signature', async () => {
    const d = makeDevice();
    const wrong = sha256(new Uint8Array([1, 2, 3]));
    const outcome = await d.agent('1.0.0').process(d.simpleJob('job-digest', { sha256: encodeHex(wrong) }));
    expect(outcome.status).toBe('FAILED');
    expect((outcome as { reason: string }).reason).toBe(`SHA-256 mismatch: expected ${encodeHex(wrong)}, got ${encodeHex(sha256(d.image))}`);
    expect(d.slots.record.nextBoot).toBe('A');
  });

  it('fails when the server has fewer bytes than the job says (truncated file)', async () => {
    const d = makeDevice();
    d.http.faults = { serveLength: 60_000 };
    const outcome = await d.agent('1.0.0').process(d.simpleJob('job-trunc'));
    expect(outcome).toMatchObject({ status: 'FAILED' });
    expect((outcome as { reason: string }).reason).toMatch(/image size mismatch: the server's file is 60000 bytes \(expected 100000/);
    expect(d.system.reboots).toEqual([]);
  });

  it('fails a download the server keeps cutting at the same byte, after the retry budget', async () => {
    const d = makeDevice();
    // Always drops right at the start of the range: no progress.
    d.http.faults = { dropAfterBytes: 0 };
    const outcome = await d.agent('1.0.0', { maxDownloadAttempts: 3 }).process(d.simpleJob('job-cut'));
    expect(outcome.status).toBe('FAILED');
    expect((outcome as { reason: string }).reason).toMatch(/download failed after 3 attempts without progress at 0 of 100000 bytes/);
    expect(d.http.requests).toHaveLength(3);
  });

  it('continues from the exact byte after the server drops the connection', async () => {
    const d = makeDevice();
    d.http.faults = { dropAfterBytes: 10_000, dropTimes: 3 };
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-drop')));
    const requests = d.http.requests;
    // each request asks for the rest of the image
    for (const r of requests) expect(r.end).toBe(d.image.length - 1);
    // each request starts where the previous one stopped: nothing is downloaded twice
    for (let i = 1; i < requests.length; i++) expect(requests[i]!.start).toBe(requests[i - 1]!.start + requests[i - 1]!.bytesSent);
    expect(requests.reduce((n, r) => n + r.bytesSent, 0)).toBe(d.image.length);
    // three drops, each after 10,000 bytes, then one request that completes
    expect(requests.map((r) => r.start)).toEqual([0, 10_000, 20_000, 30_000]);
    expect(d.slots.flash.B.subarray(0, d.image.length)).toEqual(d.image);
  });

  it('streams the image in one request and makes each block durable before reading a byte past it', async () => {
    const d = makeDevice();
    const saves: Array<{ bytesWritten: number; received: number }> = [];
    const realSet = d.storage.set.bind(d.storage);
    d.storage.set = async (key, value) => {
      if (key === OTA_STATE_KEY) {
        const bytesWritten = (JSON.parse(new TextDecoder().decode(value)) as { bytesWritten?: number }).bytesWritten ?? -1;
        saves.push({ bytesWritten, received: d.http.requests.reduce((n, r) => n + r.bytesSent, 0) });
      }
      return realSet(key, value);
    };
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-stream')));
    expect(d.http.requests.map((r) => [r.start, r.end])).toEqual([[0, d.image.length - 1]]);
    const blocks = saves.filter((s) => s.bytesWritten >= 0).slice(0, 8);
    expect(blocks.map((s) => s.bytesWritten)).toEqual([0, BLOCK, 2 * BLOCK, 3 * BLOCK, 4 * BLOCK, 5 * BLOCK, 6 * BLOCK, d.image.length]);
    // what had been read from the network when each record was written: exactly the recorded bytes
    for (const s of blocks) expect(s.received).toBe(s.bytesWritten);
    expect(d.slots.flash.B.subarray(0, d.image.length)).toEqual(d.image);
  });

  it('asks the jobs service for a fresh URL when the presigned one is refused, and continues', async () => {
    const d = makeDevice();
    const expired = new Set<string>();
    // the URL expires mid-download and the connection drops: the retry is refused
    d.http.faults = {
      refuse: (url) => expired.has(url),
      dropAfterBytes: 45_000,
      dropTimes: 1,
      onChunk: (_i, at) => {
        if (at >= 40_000) expired.add(URL);
      },
    };
    const job = d.simpleJob('job-url');
    const fresh = 'http://firmware.local/fw.bin?X-Amz-Signature=new';
    d.jobs.documents.set('job-url', { ota: { ...(job.document as { ota: object }).ota, url: fresh } });
    await expectReboot(d.agent('1.0.0').process(job));
    expect(d.jobs.describes).toBe(1);
    const firstFresh = d.http.requests.findIndex((r) => r.url === fresh);
    expect(d.http.requests[firstFresh - 1]!.bytesSent).toBe(0);
    expect(d.http.requests[firstFresh]!.start).toBe(d.http.requests[firstFresh - 2]!.start + d.http.requests[firstFresh - 2]!.bytesSent);
    expect(d.slots.flash.B.subarray(0, d.image.length)).toEqual(d.image);
  });

  it('fails when the URL is refused and the service has no fresh one', async () => {
    const d = makeDevice();
    d.http.faults = { refuse: () => true };
    const outcome = await d.agent('1.0.0').process(d.simpleJob('job-403'));
    expect(outcome).toMatchObject({ status: 'FAILED', reason: 'HTTP 403 from firmware.local; no fresh download URL' });
  });

  it('skips what is in flash when the server ignores Range', async () => {
    const d = makeDevice();
    // First a power cut at 40,000 bytes, then a server that answers 200 with the whole file.
    let hang = true;
    d.http.faults = { onChunk: (_i, at) => (hang && at >= 40_000 ? new Promise<void>(() => {}) : undefined) };
    void d.agent('1.0.0').process(d.simpleJob('job-200'));
    await waitFor(() => received(d.http) >= 39_000);
    await new Promise((r) => setTimeout(r, 20));
    hang = false;
    d.http.faults = { ignoreRange: true };
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-200')));
    expect(d.slots.flash.B.subarray(0, d.image.length)).toEqual(d.image);
  });

  it('resumes after a power loss from the last block in flash, downloading at most one block again', async () => {
    const d = makeDevice();
    let cutAt = 70_000;
    // A power cut: the device stops dead mid-body (the promise never settles; that agent is gone).
    d.http.faults = { onChunk: (_i, at) => (at >= cutAt ? new Promise<void>(() => {}) : undefined) };
    void d.agent('1.0.0').process(d.simpleJob('job-pl'));
    await waitFor(() => received(d.http) >= 69_000);
    await new Promise((r) => setTimeout(r, 20));
    const before = d.http.requests.length;
    const got = received(d.http);
    const persisted = JSON.parse(new TextDecoder().decode(d.storage.values.get(OTA_STATE_KEY)!)) as { bytesWritten: number; phase: string };
    expect(persisted.phase).toBe('downloading');
    expect(persisted.bytesWritten % BLOCK).toBe(0);
    expect(persisted.bytesWritten).toBe(4 * BLOCK);

    // Boot again: same storage and flash, a new agent.
    cutAt = Infinity;
    const resumed = d.agent('1.0.0');
    expect(await resumed.start()).toEqual({ kind: 'download-pending', jobId: 'job-pl', bytesWritten: 4 * BLOCK, size: d.image.length });
    await expectReboot(resumed.process(d.simpleJob('job-pl')));
    const second = d.http.requests[before]!;
    expect(second.start).toBe(4 * BLOCK);
    expect(got - second.start).toBeLessThanOrEqual(BLOCK);
    expect(resumed.lastDownload?.resumedFrom).toBe(4 * BLOCK);
    // The resume re-hashed the first 64 KiB from flash and the digest still matched.
    expect(d.slots.flash.B.subarray(0, d.image.length)).toEqual(d.image);
    expect(d.jobs.updates.find((u) => u.statusDetails?.receive === `${4 * BLOCK}/${d.image.length}`)).toBeDefined();
  });

  it('resumes correctly when power went after a block reached flash but before its progress was saved', async () => {
    const d = makeDevice();
    const realSet = d.storage.set.bind(d.storage);
    let saves = 0;
    // the third progress save never completes (power lost during the NVS write)
    d.storage.set = (key, value) => (key === OTA_STATE_KEY && ++saves === 4 ? new Promise<void>(() => {}) : realSet(key, value));
    void d.agent('1.0.0').process(d.simpleJob('job-nvs'));
    await waitFor(() => saves >= 4);
    await new Promise((r) => setTimeout(r, 20));
    d.storage.set = realSet;
    // Block 3 is in flash but the record says 2 blocks: the resume must erase before writing again.
    expect(d.slots.flash.B[2 * BLOCK]).toBe(d.image[2 * BLOCK]);
    const resumed = d.agent('1.0.0');
    const before = d.http.requests.length;
    await expectReboot(resumed.process(d.simpleJob('job-nvs')));
    expect(d.http.requests[before]!.start).toBe(2 * BLOCK);
    expect(d.slots.flash.B.subarray(0, d.image.length)).toEqual(d.image);
  });

  it('starts over when the job offers a different image than the one partly downloaded', async () => {
    const d = makeDevice();
    d.http.faults = { onChunk: (_i, at) => (at >= 50_000 ? new Promise<void>(() => {}) : undefined) };
    void d.agent('1.0.0').process(d.simpleJob('job-x'));
    await waitFor(() => received(d.http) >= 49_000);
    await new Promise((r) => setTimeout(r, 20));
    const newImage = makeImage(90_000, 99);
    d.http = new ScriptedHttpClient(newImage, 3000);
    const docs = { size: newImage.length, sha256: encodeHex(sha256(newImage)), signature: encodeBase64(d.signer.sign(newImage)) };
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-x', docs)));
    expect(d.http.requests[0]!.start).toBe(0);
    expect(d.slots.flash.B.subarray(0, newImage.length)).toEqual(newImage);
  });

  it('rolls back and reports FAILED when the self-test fails', async () => {
    const d = makeDevice();
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-st')));
    d.slots.boot();
    const reason = await expectReboot(
      d.agent('1.1.0', {
        selfTest: () => {
          throw new Error('sensor not responding');
        },
      }).start(),
    );
    expect(reason).toMatch(/self-test failed: the application self-test threw: sensor not responding; rolling back to slot A/);
    expect(d.jobs.terminal('job-st')).toEqual({
      jobId: 'job-st',
      status: 'FAILED',
      statusDetails: { reason: 'self-test failed: the application self-test threw: sensor not responding', self_test: 'rejected' },
    });
    expect(d.slots.boot()).toMatchObject({ running: 'A', pendingVerify: false });
    // Back on the old image: nothing left to do, FAILED was reported once.
    expect(await d.agent('1.0.0').start()).toEqual({ kind: 'none' });
    expect(d.jobs.updates.filter((u) => u.status === 'FAILED')).toHaveLength(1);
  });

  it('reports FAILED from the old image when the verdict could not be sent before the rollback', async () => {
    const d = makeDevice();
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-off')));
    d.slots.boot();
    d.jobs.failWith = new TimeoutError('UpdateJobExecution job-off', 10);
    await expectReboot(d.agent('1.1.0', { selfTest: () => false }).start());
    expect(d.jobs.terminal('job-off')).toBeUndefined();
    d.slots.boot();
    d.jobs.failWith = undefined;
    expect(await d.agent('1.0.0').start()).toMatchObject({ kind: 'reported', jobId: 'job-off', status: 'FAILED' });
    expect(d.jobs.terminal('job-off')?.statusDetails?.reason).toBe('self-test failed: the application self-test returned false');
  });

  it('fails a self-test that takes too long', async () => {
    const d = makeDevice();
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-slow')));
    d.slots.boot();
    await expectReboot(d.agent('1.1.0', { selfTest: () => new Promise(() => {}), selfTestTimeoutMs: 50 }).start());
    expect(d.jobs.terminal('job-slow')?.statusDetails?.reason).toBe('self-test failed: the self-test did not finish within 50 ms');
  });

  it('reports FAILED after a reset before the new image was marked valid', async () => {
    const d = makeDevice();
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-crash')));
    d.slots.boot();
    // The new image starts its self-test and the device resets in the middle of it.
    void d.agent('1.1.0', { selfTest: () => new Promise(() => {}) }).start();
    await waitFor(async () => (await d.storage.get(OTA_STATE_KEY)) !== undefined && new TextDecoder().decode((await d.storage.get(OTA_STATE_KEY))!).includes('self-testing'));
    expect(d.slots.boot()).toMatchObject({ running: 'A', pendingVerify: false });
    const outcome = await d.agent('1.0.0').start();
    expect(outcome).toEqual({
      kind: 'rolled-back',
      jobId: 'job-crash',
      reason: 'the new image reset before it was marked valid; rolled back to slot A',
      reported: true,
    });
    expect(d.jobs.terminal('job-crash')?.status).toBe('FAILED');
  });

  it('reports FAILED when the new image crashes before reaching the OTA agent', async () => {
    const d = makeDevice();
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-early')));
    d.slots.boot(); // new image boots …
    d.slots.boot(); // … and resets before start(): the boot loader rolls back
    const outcome = await d.agent('1.0.0').start();
    expect(outcome).toMatchObject({ kind: 'rolled-back', reason: 'the new image never reached its self-test; rolled back to slot A' });
  });

  it('stops the download when the job is cancelled and leaves the running image untouched', async () => {
    const d = makeDevice();
    const runningImage = d.slots.flash.A.slice();
    d.http.faults = {
      onChunk: (_i, at) => {
        if (at >= 30_000 && !d.jobs.ended.has('job-c')) d.jobs.cancel('job-c');
      },
    };
    const outcome = await d.agent('1.0.0').process(d.simpleJob('job-c'));
    expect(outcome).toEqual({ status: 'cancelled', jobId: 'job-c', jobStatus: 'CANCELED' });
    // stopped within the block it was in; nothing requested after the cancellation
    expect(received(d.http)).toBeLessThan(2 * BLOCK + 3000);
    expect(d.http.requests.at(-1)!.start).toBeLessThan(2 * BLOCK);
    expect(d.slots.record).toEqual({ running: 'A', previous: undefined, nextBoot: 'A', pendingVerify: false });
    expect(d.slots.flash.A).toEqual(runningImage);
    expect(d.system.reboots).toEqual([]);
    expect(d.jobs.terminal('job-c')).toBeUndefined();
    expect(d.storage.values.has(OTA_STATE_KEY)).toBe(false);
  });

  it('rejects a downgrade unless allowed', async () => {
    const d = makeDevice();
    const outcome = await d.agent('1.2.0').process(d.simpleJob('job-down'));
    expect(outcome).toMatchObject({ status: 'REJECTED', reason: 'downgrade from 1.2.0 to 1.1.0 not allowed' });
    expect(d.http.requests).toHaveLength(0);
    const same = await d.agent('1.1.0').process(d.simpleJob('job-same'));
    expect(same).toMatchObject({ status: 'REJECTED', reason: 'version 1.1.0 is already running' });
    await expectReboot(d.agent('1.2.0', { allowDowngrade: true }).process(d.simpleJob('job-down-ok')));
  });

  it('refuses a signing key label that is not a trusted code-signing key', async () => {
    const d = makeDevice();
    // The claim key is shared across a fleet; a job must not be able to pick it.
    const outcome = await d.agent('1.0.0').process(d.simpleJob('job-key', { signingKey: 'Claim Cert' }));
    expect(outcome).toMatchObject({ status: 'REJECTED', reason: 'signing key "Claim Cert" is not a trusted code-signing key' });
  });

  it('rejects documents it cannot act on with the field that is wrong', async () => {
    const d = makeDevice();
    const agent = d.agent('1.0.0');
    const cases: Array<[unknown, RegExp]> = [
      [{ ota: { version: '1.1.0', url: URL, size: 10, sha256: 'zz', signature: 'MEUCIQ==' } }, /ota\.sha256 to be 64 hex digits/],
      [{ afr_ota: { protocols: ['MQTT'], streamname: 's', files: [{ fileid: 0, filesize: 10 }] } }, /downloads over HTTP only/],
      [{ afr_ota: { protocols: ['HTTP'], files: [] } }, /afr_ota\.files to be a non-empty array/],
      [
        { afr_ota: { protocols: ['HTTP'], files: [{ fileid: 0, filesize: 10, update_data_url: '${aws:iot:s3-presigned-url:https://b/k}', 'sig-sha256-ecdsa': 'MAYCAQECAQE=' }] } },
        /unresolved presigned-URL placeholder/,
      ],
      [{ ota: { version: 'latest', url: URL, size: 10, sha256: '0'.repeat(64), signature: 'MAYCAQECAQE=' } }, /ota\.version: expected a version/],
    ];
    for (const [i, [document, pattern]] of cases.entries()) {
      const outcome = (await agent.process(job(`bad-${i}`, document))) as Extract<OtaOutcome, { reason: string }>;
      expect(outcome.status).toBe('REJECTED');
      expect(outcome.reason).toMatch(pattern);
    }
  });

  it('installs an afr_ota (HTTP) document and checks the new version against updatedBy after boot', async () => {
    const d = makeDevice();
    const afr = {
      afr_ota: {
        protocols: ['HTTP'],
        files: [
          {
            filepath: '/fw.bin',
            filesize: d.image.length,
            fileid: 0,
            certfile: 'ecdsa-signer.crt',
            update_data_url: URL,
            auth_scheme: 'aws.s3.presigned',
            'sig-sha256-ecdsa': encodeBase64(d.signer.sign(d.image)),
          },
        ],
      },
    };
    await expectReboot(d.agent('1.0.0').process(job('AFR_OTA-1', afr)));
    d.slots.boot();
    expect(await d.agent('1.0.1').start()).toMatchObject({ kind: 'accepted', version: '1.0.1' });

    // A second update whose image turns out to be the same version: rolled back as a downgrade.
    const d2 = makeDevice();
    await expectReboot(d2.agent('1.0.0').process(job('AFR_OTA-2', { afr_ota: { ...afr.afr_ota, files: [{ ...afr.afr_ota.files[0], 'sig-sha256-ecdsa': encodeBase64(d2.signer.sign(d2.image)) }] } })));
    d2.slots.boot();
    await expectReboot(d2.agent('1.0.0').start());
    expect(d2.jobs.terminal('AFR_OTA-2')?.statusDetails?.reason).toBe('self-test failed: version 1.0.0 is already running');
  });

  it('fails the self-test when the new image reports a different version than the job promised', async () => {
    const d = makeDevice();
    await expectReboot(d.agent('1.0.0').process(d.simpleJob('job-ver')));
    d.slots.boot();
    await expectReboot(d.agent('1.3.0').start());
    expect(d.jobs.terminal('job-ver')?.statusDetails?.reason).toBe('self-test failed: the image reports version 1.3.0, the job promised 1.1.0');
  });

  it('fails an image that does not fit the slot without downloading', async () => {
    const d = makeDevice();
    const outcome = await d.agent('1.0.0').process(d.simpleJob('job-big', { size: 300 * 1024 }));
    expect(outcome).toMatchObject({ status: 'FAILED' });
    expect((outcome as { reason: string }).reason).toMatch(/does not fit the 262144-byte slot/);
    expect(d.http.requests).toHaveLength(0);
  });

  it('fails when the code-signing key is missing from the key store', async () => {
    const d = makeDevice();
    d.keyStore.publicKeys.clear();
    const outcome = await d.agent('1.0.0').process(d.simpleJob('job-nokey'));
    expect(outcome).toMatchObject({ status: 'FAILED' });
    expect((outcome as { reason: string }).reason).toMatch(/code-signing key "Code Sign Cert": not in the key store/);
  });
});

/** The image position the device has received so far (end of the last request's bytes). */
function received(http: ScriptedHttpClient): number {
  const last = http.requests.at(-1);
  return last ? last.start + last.bytesSent : 0;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}
