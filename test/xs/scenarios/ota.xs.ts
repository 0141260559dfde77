// The OTA agent's state machine inside XS: in-memory NOR flash with an A/B boot loader, a scripted HTTP
// server with Range, the jobs API and key store as test doubles (test/ota/fakes/memory.ts, the same
// doubles the vitest unit tests use), streaming SHA-256 and the ECDSA P-256 signature check with noble
// (no platform digest: the portable fallback a device without native SHA would run).
// Figures: compute and heap of one whole update (download + hash + verify + activation) of a 32 KiB
// image, of the self-test boot, and of a resume after a power cut.
import { scenario } from '../harness.js';
import { createLanePlatform } from '../lane-platform.js';
import { sha256 } from '@noble/hashes/sha2';
import { OtaAgent, OTA_STATE_KEY, type OtaAgentOptions } from '../../../modules/ota/index.js';
import type { Job } from '../../../modules/jobs/index.js';
import { encodeBase64 } from '../../../modules/codec/base64.js';
import { encodeHex } from '../../../modules/codec/hex.js';
import {
  CodeSigner,
  FakeJobs,
  FakeKeyStore,
  makeImage,
  MemoryFirmwareSlots,
  RebootRequested,
  ScriptedHttpClient,
  ThrowingSystem,
} from '../../ota/fakes/memory.js';

const IMAGE_BYTES = 32 * 1024;
const BLOCK = 8 * 1024;

function world() {
  const lane = createLanePlatform();
  const image = makeImage(IMAGE_BYTES, 3);
  // A fixed seed keeps the scenario deterministic (the lane's crypto shim is seeded as well).
  const signer = new CodeSigner(sha256(new Uint8Array([1, 2, 3])));
  const keyStore = new FakeKeyStore();
  keyStore.publicKeys.set('Code Sign Cert', signer.spki);
  const slots = new MemoryFirmwareSlots(64 * 1024, 4096);
  const http = new ScriptedHttpClient(image, 1460);
  const jobs = new FakeJobs();
  const system = new ThrowingSystem();
  const agent = (version: string, extra: Partial<OtaAgentOptions> = {}) =>
    new OtaAgent({
      platform: { storage: lane.storage, slots, http, timers: lane.timers, random: lane.random, text: lane.text, log: lane.log, system },
      jobs,
      keyStore,
      firmwareVersion: version,
      blockSize: BLOCK,
      retryBaseMs: 10,
      retryCapMs: 100,
      ...extra,
    });
  const job = (jobId: string, signature = signer.sign(image)): Job => {
    const document = {
      ota: { version: '1.1.0', url: 'http://fw.local/fw.bin', size: image.length, sha256: encodeHex(sha256(image)), signature: encodeBase64(signature) },
    };
    const documentText = JSON.stringify(document);
    return { jobId, document, documentText, documentBytes: documentText.length, status: 'IN_PROGRESS', statusDetails: {}, versionNumber: 1, executionNumber: 1 };
  };
  return { lane, image, signer, slots, http, jobs, system, agent, job };
}

async function rebootReason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RebootRequested) return error.reason;
    throw error;
  }
  throw new Error('expected a reboot');
}

scenario('OTA: download, SHA-256 and P-256 verify with noble, activate, self-test, SUCCEEDED', async (t) => {
  const w = world();
  const reason = await t.measure(`update of a ${IMAGE_BYTES}-byte image (download, hash, verify, activate)`, () => rebootReason(w.agent('1.0.0').process(w.job('xs-1'))));
  t.assert(reason.includes('activating 1.1.0 in slot B'), reason);
  t.equal(w.slots.flash.B.subarray(0, IMAGE_BYTES), w.image, 'image in slot B');
  t.equal(w.slots.record.nextBoot, 'B', 'next boot B');
  t.equal(w.http.requests.map((r) => `${r.start}-${r.end}`), [`0-${IMAGE_BYTES - 1}`], 'one request for the image');
  w.slots.boot();
  let selfTests = 0;
  const outcome = await t.measure('first boot of the new image: self-test, mark valid, report', () =>
    w.agent('1.1.0', { selfTest: () => void selfTests++ }).start(),
  );
  t.equal(outcome, { kind: 'accepted', jobId: 'xs-1', version: '1.1.0', reported: true });
  t.equal(selfTests, 1, 'self-test ran once');
  t.equal(w.jobs.terminal('xs-1')?.status, 'SUCCEEDED');
  t.equal(w.slots.record.pendingVerify, false, 'marked valid');
  t.figure('image bytes', IMAGE_BYTES, 'bytes');
});

scenario('OTA: a bad signature never activates the image', async (t) => {
  const w = world();
  const other = new CodeSigner(sha256(new Uint8Array([9])));
  const outcome = await w.agent('1.0.0').process(w.job('xs-bad', other.sign(w.image)));
  t.equal(outcome, { status: 'FAILED', jobId: 'xs-bad', reason: 'image signature does not verify with code-signing key "Code Sign Cert"', reported: true });
  t.equal(w.system.reboots.length, 0, 'no reboot');
  t.equal(w.slots.record.nextBoot, 'A', 'boot slot unchanged');
});

scenario('OTA: power cut mid-download resumes from the last block in flash', async (t) => {
  const w = world();
  // The power goes while block 3 is arriving: that agent never runs again.
  w.http.faults = { onChunk: (_i, at) => (at >= 3 * BLOCK + 2000 ? new Promise<void>(() => {}) : undefined) };
  void w.agent('1.0.0').process(w.job('xs-pl'));
  await t.sleep(1000);
  const saved = JSON.parse(new TextDecoder().decode((await w.lane.storage.get(OTA_STATE_KEY))!)) as { bytesWritten: number };
  t.equal(saved.bytesWritten, 3 * BLOCK, 'progress saved at the block boundary');
  const last = w.http.requests[w.http.requests.length - 1]!;
  const received = last.start + last.bytesSent;
  w.http.faults = {};
  const before = w.http.requests.length;
  const resumed = w.agent('1.0.0');
  const reason = await t.measure('resume: re-hash 24 KiB from flash, download the rest, verify', () => rebootReason(resumed.process(w.job('xs-pl'))));
  t.assert(reason.includes('slot B'), reason);
  t.equal(w.http.requests[before]!.start, 3 * BLOCK, 'resumed at the block boundary');
  t.assert(received - 3 * BLOCK <= BLOCK, `downloaded again ${received - 3 * BLOCK} bytes, more than a block`);
  t.equal(w.slots.flash.B.subarray(0, IMAGE_BYTES), w.image, 'image complete and verified');
  t.figure('bytes downloaded again', received - 3 * BLOCK, 'bytes');
});
