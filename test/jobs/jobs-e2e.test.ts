/**
 * The jobs handler against the local cloud's Jobs service (simulator, TLS broker) through the real
 * MQTT agent and Node platform: StartNext/notify-next delivery, updates with expectedVersion and the
 * automatic VersionMismatch retry, step timeouts, cancellation, the 32 KB document limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodePlatform, type NodePlatform } from '../../platform/node/index.js';
import { createMqttAgent, type MqttAgent } from '../../modules/mqtt/index.js';
import { JobsHandler, JobsRequestRejectedError } from '../../modules/jobs/index.js';
import { provisionDevice, startOtaWorld, type OtaWorld } from '../ota/fixtures/ota-cloud.js';

let world: OtaWorld;
let root: string;
let serial = 0;
const cleanups: Array<() => Promise<void>> = [];

async function device(): Promise<{ platform: NodePlatform; mqtt: MqttAgent; thingName: string; jobs: JobsHandler }> {
  const identity = await provisionDevice(world, `SN-JOBS-${++serial}`);
  const platform = createNodePlatform({ dataDir: identity.dataDir, log: { level: 'error' } });
  const mqtt = createMqttAgent(platform);
  await mqtt.connect({
    host: '127.0.0.1',
    port: world.cloud.mqttPort,
    clientId: identity.thingName,
    tls: { caLabel: 'Root Cert', certificateLabel: 'Device Cert', privateKeyLabel: 'Device Key', serverName: 'localhost' },
  });
  const jobs = new JobsHandler({ mqtt, platform });
  cleanups.push(async () => {
    await jobs.stop();
    await mqtt.disconnect();
  });
  return { platform, mqtt, thingName: identity.thingName, jobs };
}

function state(jobId: string, thingName: string) {
  return world.cloud.core.registry.getExecution(jobId, thingName);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mi-jobs-e2e-'));
  world = await startOtaWorld(root, { jobsMinuteMs: 300 });
}, 60_000);

afterAll(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
  await world?.cloud.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('jobs handler against the local Jobs service', () => {
  it('receives a queued job through StartNext, reports progress and success with tracked versions', async () => {
    const d = await device();
    const { jobId } = await world.cloud.createJob({ document: { operation: 'blink', times: 3 }, targets: [d.thingName] });
    await d.jobs.start({ thingName: d.thingName, queueSize: 4 });
    const result = await d.jobs.getJobDocument(10_000);
    expect(result.kind).toBe('job');
    if (result.kind !== 'job') return;
    expect(result.job).toMatchObject({ jobId, document: { operation: 'blink', times: 3 }, status: 'IN_PROGRESS' });
    expect(state(jobId, d.thingName)?.status).toBe('IN_PROGRESS');
    const progress = await d.jobs.updateJobStatus(jobId, 'IN_PROGRESS', { step: '1/3' });
    expect(progress).toMatchObject({ status: 'IN_PROGRESS', statusDetails: { step: '1/3' } });
    await d.jobs.updateJobStatus(jobId, 'SUCCEEDED', { reason: 'blinked' });
    expect(state(jobId, d.thingName)).toMatchObject({ status: 'SUCCEEDED', statusDetails: { reason: 'blinked' } });
    expect(d.jobs.counters.versionRetries).toBe(0);
  });

  it('gets a job created while it waits, through notify-next, once', async () => {
    const d = await device();
    await d.jobs.start({ thingName: d.thingName });
    const waiting = d.jobs.getJobDocument(10_000);
    await new Promise((r) => setTimeout(r, 300));
    const { jobId } = await world.cloud.createJob({ document: { operation: 'late' }, targets: [d.thingName] });
    const result = await waiting;
    expect(result.kind === 'job' && result.job.jobId).toBe(jobId);
    // a poll while it is being processed does not hand it out again
    await d.jobs.pollJobDocument();
    expect(await d.jobs.getJobDocument(300)).toEqual({ kind: 'timeout' });
    expect(d.jobs.counters.duplicates).toBeGreaterThanOrEqual(1);
    await d.jobs.updateJobStatus(jobId, 'SUCCEEDED');
  });

  it('retries once with the service version when another writer moved the execution on', async () => {
    const d = await device();
    const { jobId } = await world.cloud.createJob({ document: { operation: 'v' }, targets: [d.thingName] });
    await d.jobs.start({ thingName: d.thingName });
    const result = await d.jobs.getJobDocument(10_000);
    expect(result.kind).toBe('job');
    // Another session of the same device updates the execution behind the handler's back.
    const before = state(jobId, d.thingName)!.versionNumber;
    const bump = createMqttAgent(d.platform);
    await bump.connect({
      host: '127.0.0.1',
      port: world.cloud.mqttPort,
      clientId: `${d.thingName}-tool`,
      tls: { caLabel: 'Root Cert', certificateLabel: 'Device Cert', privateKeyLabel: 'Device Key', serverName: 'localhost' },
    });
    const tool = new JobsHandler({ mqtt: bump, platform: d.platform });
    await tool.start({ thingName: d.thingName });
    await tool.updateJobStatus(jobId, 'IN_PROGRESS', { by: 'tool' });
    await tool.stop();
    await bump.disconnect();
    expect(state(jobId, d.thingName)!.versionNumber).toBe(before + 1);
    await d.jobs.updateJobStatus(jobId, 'SUCCEEDED', { reason: 'done' });
    expect(d.jobs.counters.versionRetries).toBe(1);
    expect(state(jobId, d.thingName)).toMatchObject({ status: 'SUCCEEDED', statusDetails: { reason: 'done' } });
  });

  it('lets a step timer run out into TIMED_OUT and tells the listener', async () => {
    const d = await device();
    const { jobId } = await world.cloud.createJob({ document: { operation: 'slow' }, targets: [d.thingName] });
    // one "minute" is 300 ms in this cloud
    await d.jobs.start({ thingName: d.thingName, stepTimeoutInMinutes: 1 });
    const ended = new Promise<[string, string | undefined]>((resolve) => d.jobs.addJobEndedListener((id, s) => resolve([id, s])));
    const result = await d.jobs.getJobDocument(10_000);
    expect(result.kind === 'job' && result.job.jobId).toBe(jobId);
    await new Promise((r) => setTimeout(r, 900));
    expect(state(jobId, d.thingName)?.status).toBe('TIMED_OUT');
    const error = await d.jobs.updateJobStatus(jobId, 'IN_PROGRESS').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobsRequestRejectedError);
    expect((error as JobsRequestRejectedError).code).toBe('InvalidStateTransition');
    expect(await ended).toEqual([jobId, 'TIMED_OUT']);
  });

  it('detects a cancelled job from notify-next', async () => {
    const d = await device();
    const { jobId } = await world.cloud.createJob({ document: { operation: 'cancel-me' }, targets: [d.thingName] });
    await d.jobs.start({ thingName: d.thingName });
    const result = await d.jobs.getJobDocument(10_000);
    expect(result.kind === 'job' && result.job.jobId).toBe(jobId);
    const ended = new Promise<[string, string | undefined]>((resolve) => d.jobs.addJobEndedListener((id, s) => resolve([id, s])));
    await world.cloud.cancelJob(jobId);
    expect(await ended).toEqual([jobId, 'CANCELED']);
  });

  it('takes a job document of 32 KB', async () => {
    const d = await device();
    const pad = 'x'.repeat(32_768 - '{"pad":""}'.length);
    const { jobId } = await world.cloud.createJob({ document: { pad }, targets: [d.thingName] });
    await d.jobs.start({ thingName: d.thingName });
    const result = await d.jobs.getJobDocument(10_000);
    expect(result.kind === 'job' && result.job.documentBytes).toBe(32_768);
    await d.jobs.updateJobStatus(jobId, 'SUCCEEDED');
  });
});
