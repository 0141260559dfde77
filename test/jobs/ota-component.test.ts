/**
 * The jobs loop of OtaComponent against the in-memory MQTT double playing the Jobs service.
 *
 * Regression (demo OTA step timing out): the loop called `onOutcome?.(await ota.process(job))`. An
 * optional call does not evaluate its arguments when the callee is undefined, so an application
 * without `onOutcome` (examples/host/program.ts) took the job from the jobs handler (StartNext had
 * moved it to IN_PROGRESS), never ran the OTA agent, and kept polling StartNext, which only returned
 * the job it already held (counted as a duplicate). ota.start() (self-test after an update) was
 * skipped the same way.
 */
import { describe, expect, it, afterEach } from 'vitest';
import { sha256 } from '@noble/hashes/sha2';
import type { Platform } from '../../platform/pal/index.js';
import type { JobExecution } from '../../modules/jobs/index.js';
import { createOtaComponent, OTA_STATE_KEY, type OtaComponent, type OtaComponentOptions } from '../../modules/ota/index.js';
import { encodeBase64 } from '../../modules/codec/base64.js';
import { encodeHex } from '../../modules/codec/hex.js';
import { FakeMqttClient, testPlatform, type Published } from './fakes.js';
import { CodeSigner, FakeKeyStore, makeImage, MemoryFirmwareSlots, MemoryStorage, ScriptedHttpClient, ThrowingSystem } from '../ota/fakes/memory.js';

const THING = 'thing-ota';
const P = `$aws/things/${THING}/jobs`;
const JOB = 'ota-job-1';

/** A device (flash, storage, firmware server, key store) and a Jobs service holding one OTA job. */
function makeWorld() {
  const image = makeImage(40_000, 3);
  const signer = new CodeSigner();
  const keyStore = new FakeKeyStore();
  keyStore.publicKeys.set('Code Sign Cert', signer.spki);
  const mqtt = new FakeMqttClient();
  const base = testPlatform();
  const slots = new MemoryFirmwareSlots(128 * 1024, 4096);
  const storage = new MemoryStorage();
  const system = new ThrowingSystem();
  const platform = { ...base, storage, slots, http: new ScriptedHttpClient(image, 3000), system } as unknown as Platform;
  const document = {
    ota: { version: '1.1.0', url: 'http://firmware.local/fw.bin', size: image.length, sha256: encodeHex(sha256(image)), signature: encodeBase64(signer.sign(image)) },
  };
  /** The service's execution of JOB; undefined until the job is created. */
  const service: { execution: JobExecution | undefined } = { execution: undefined };
  const reply = (request: Published, body: Record<string, unknown>) =>
    mqtt.deliver(`${request.topic}/accepted`, { ...body, clientToken: request.json.clientToken, timestamp: 1 });
  mqtt.onPublish = (m) => {
    const e = service.execution;
    if (m.topic === `${P}/start-next`) {
      if (e && e.status === 'QUEUED') service.execution = { ...e, status: 'IN_PROGRESS', versionNumber: e.versionNumber! + 1 };
      const next = service.execution && ['QUEUED', 'IN_PROGRESS'].includes(service.execution.status) ? service.execution : undefined;
      void reply(m, next ? { execution: next } : {});
    } else if (m.topic === `${P}/${JOB}/update` && e) {
      const status = m.json.status as JobExecution['status'];
      service.execution = { ...e, status, statusDetails: (m.json.statusDetails as Record<string, string>) ?? {}, versionNumber: e.versionNumber! + 1 };
      void reply(m, { executionState: { status, statusDetails: service.execution.statusDetails, versionNumber: service.execution.versionNumber } });
    } else if (m.topic === `${P}/${JOB}/get` && e) {
      void reply(m, { execution: e });
    }
  };
  const createJob = async () => {
    service.execution = { jobId: JOB, status: 'QUEUED', jobDocument: document, versionNumber: 1, executionNumber: 1, statusDetails: {} };
    await mqtt.deliver(`${P}/notify-next`, { timestamp: 1, execution: service.execution });
  };
  const updates = (jobId = JOB) => mqtt.publishedTo(`${P}/${jobId}/update`).map((m) => m.json);
  return { image, mqtt, platform, slots, storage, system, keyStore, service, createJob, updates };
}

function until(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

describe('OtaComponent jobs loop', () => {
  let component: OtaComponent | undefined;
  afterEach(async () => {
    await component?.stop();
    component = undefined;
  });

  function startComponent(world: ReturnType<typeof makeWorld>, version: string, extra: Partial<OtaComponentOptions> = {}) {
    component = createOtaComponent({ keyStore: world.keyStore, firmwareVersion: version, pollIntervalMs: 50, blockSize: 8192, ...extra });
    return component.start({ platform: world.platform, mqtt: world.mqtt, thingName: THING });
  }

  it('hands an OTA job to the OTA agent when the application passes no onOutcome', async () => {
    const w = makeWorld();
    // No onOutcome, as in examples/host/program.ts.
    await startComponent(w, '1.0.0');
    // The loop is waiting in getJobDocument; the job is created; notify-next → StartNext → IN_PROGRESS.
    await w.createJob();
    await until(() => w.system.reboots.length > 0, 'the reboot into the new image');
    const details = w.updates().map((u) => u.statusDetails as Record<string, string>);
    expect(details[0]).toEqual({ step: 'download', receive: `0/${w.image.length}` });
    expect(details.at(-1)).toEqual({ step: 'self-test', self_test: 'ready', updatedBy: '1.0.0' });
    expect(w.slots.flash.B.subarray(0, w.image.length)).toEqual(w.image);
    expect(w.slots.record.nextBoot).toBe('B');
    expect(w.system.reboots[0]).toMatch(/activating 1\.1\.0 in slot B/);
    expect(component!.jobs!.counters.queued).toBe(1);
  });

  it('after the reboot, settles the job once (SUCCEEDED) and does not process the IN_PROGRESS copy StartNext hands out', async () => {
    const w = makeWorld();
    await startComponent(w, '1.0.0');
    await w.createJob();
    await until(() => w.system.reboots.length > 0, 'the reboot into the new image');
    await component!.stop();
    component = undefined;

    // The reset: the boot loader starts slot B pending verification; StartNext at start returns the
    // job again (IN_PROGRESS, self_test ready) while start() runs the self-test.
    w.slots.boot();
    w.mqtt.published.length = 0;
    let selfTests = 0;
    const outcomes: unknown[] = [];
    await startComponent(w, '1.1.0', { selfTest: () => void selfTests++, onOutcome: (o) => outcomes.push(o) });
    await until(() => w.service.execution?.status === 'SUCCEEDED', 'SUCCEEDED at the service');
    // Give the loop time to take any copy of the job it still holds.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(selfTests).toBe(1);
    const statuses = w.updates().map((u) => u.status);
    expect(statuses.filter((s) => s !== 'IN_PROGRESS')).toEqual(['SUCCEEDED']);
    expect(outcomes[0]).toEqual({ kind: 'accepted', jobId: JOB, version: '1.1.0', reported: true });
    expect(w.storage.values.has(OTA_STATE_KEY)).toBe(false);
    expect(w.slots.record).toMatchObject({ running: 'B', pendingVerify: false });
  });
});
