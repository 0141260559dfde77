import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { JobsHandler, JobsRequestRejectedError, type JobExecution } from '../../modules/jobs/index.js';
import { TimeoutError } from '../../modules/util/errors.js';
import { FakeMqttClient, testPlatform, type Published } from './fakes.js';

const THING = 'thing-1';
const P = `$aws/things/${THING}/jobs`;

function execution(jobId: string, extra: Partial<JobExecution> = {}): JobExecution {
  return {
    jobId,
    status: 'IN_PROGRESS',
    jobDocument: { operation: 'test', id: jobId },
    queuedAt: 1700000000,
    versionNumber: 2,
    executionNumber: 1,
    ...extra,
  };
}

/** Answers a request the way the Jobs service does, echoing its clientToken. */
function reply(mqtt: FakeMqttClient, request: Published, outcome: 'accepted' | 'rejected', body: Record<string, unknown>) {
  return mqtt.deliver(`${request.topic}/${outcome}`, { ...body, clientToken: request.json.clientToken, timestamp: 1700000001 });
}

describe('JobsHandler', () => {
  let mqtt: FakeMqttClient;
  let handler: JobsHandler;
  let platform: ReturnType<typeof testPlatform>;
  /** Executions StartNext hands out, in order; empty → no `execution` field. */
  let nextExecutions: JobExecution[];

  beforeEach(() => {
    mqtt = new FakeMqttClient();
    platform = testPlatform();
    handler = new JobsHandler({ mqtt, platform });
    nextExecutions = [];
    mqtt.onPublish = (m) => {
      if (m.topic === `${P}/start-next`) {
        const e = nextExecutions.shift();
        void reply(mqtt, m, 'accepted', e ? { execution: e } : {});
      }
    };
  });

  afterEach(async () => {
    await handler.stop();
  });

  it('subscribes to notify-next and the response topics, then asks for the next job', async () => {
    await handler.start({ thingName: THING, stepTimeoutInMinutes: 5 });
    expect([...mqtt.subscriptions.keys()]).toEqual([
      `${P}/notify-next`,
      `${P}/start-next/accepted`,
      `${P}/start-next/rejected`,
      `${P}/get/accepted`,
      `${P}/get/rejected`,
      `${P}/+/get/accepted`,
      `${P}/+/get/rejected`,
      `${P}/+/update/accepted`,
      `${P}/+/update/rejected`,
    ]);
    const startNext = await mqtt.nextPublish((m) => m.topic === `${P}/start-next`, true);
    expect(startNext.json.stepTimeoutInMinutes).toBe(5);
    expect(typeof startNext.json.clientToken).toBe('string');
    expect(new TextEncoder().encode(startNext.json.clientToken as string).length).toBeLessThanOrEqual(64);
  });

  it('rejects a thing name that cannot be a topic level', async () => {
    await expect(handler.start({ thingName: 'a/b' })).rejects.toThrow(/thing name/);
    await expect(handler.start({ thingName: 'x'.repeat(129) })).rejects.toThrow(/1\.\.128 bytes/);
  });

  it('delivers the job StartNext returns, with its document as object and text', async () => {
    nextExecutions.push(execution('job-1', { jobDocument: { ota: { version: 'é1' } } }));
    await handler.start({ thingName: THING });
    const result = await handler.getJobDocument(2000);
    expect(result.kind).toBe('job');
    if (result.kind !== 'job') return;
    expect(result.job.jobId).toBe('job-1');
    expect(result.job.document).toEqual({ ota: { version: 'é1' } });
    expect(result.job.documentText).toBe('{"ota":{"version":"é1"}}');
    // Measured in UTF-8 bytes: é is two bytes.
    expect(result.job.documentBytes).toBe(result.job.documentText.length + 1);
    expect(result.job.versionNumber).toBe(2);
  });

  it('times out when no job comes, and returns at once with timeout 0', async () => {
    await handler.start({ thingName: THING });
    const t0 = performance.now();
    expect(await handler.getJobDocument(0)).toEqual({ kind: 'timeout' });
    expect(performance.now() - t0).toBeLessThan(50);
    const t1 = performance.now();
    expect(await handler.getJobDocument(120)).toEqual({ kind: 'timeout' });
    expect(performance.now() - t1).toBeGreaterThanOrEqual(100);
  });

  it('starts the next job on notify-next and queues a job only once however often it is announced', async () => {
    await handler.start({ thingName: THING });
    await mqtt.nextPublish((m) => m.topic === `${P}/start-next`, true);
    await new Promise((r) => setTimeout(r, 10));
    const before = mqtt.publishedTo(`${P}/start-next`).length;
    // The service would hand out the same execution to every StartNext while it is pending.
    mqtt.onPublish = (m) => {
      if (m.topic === `${P}/start-next`) void reply(mqtt, m, 'accepted', { execution: execution('job-7') });
    };
    for (let i = 0; i < 3; i++) await mqtt.deliver(`${P}/notify-next`, { execution: execution('job-7', { status: 'QUEUED' }) });
    await new Promise((r) => setTimeout(r, 30));
    expect(mqtt.publishedTo(`${P}/start-next`).length).toBeGreaterThan(before);
    await handler.pollJobDocument();
    expect(handler.queuedJobIds).toEqual(['job-7']);
    expect(handler.counters.duplicates).toBeGreaterThanOrEqual(2);
    const first = await handler.getJobDocument(0);
    expect(first.kind).toBe('job');
    // While the application holds it, another announcement does not hand it out again.
    await mqtt.deliver(`${P}/notify-next`, { execution: execution('job-7') });
    await handler.pollJobDocument();
    expect(await handler.getJobDocument(0)).toEqual({ kind: 'timeout' });
  });

  it('keeps the queue bounded and fetches a skipped job once there is room', async () => {
    await handler.start({ thingName: THING, queueSize: 2 });
    await new Promise((r) => setTimeout(r, 10));
    for (const id of ['a', 'b', 'c']) {
      nextExecutions.push(execution(id));
      await handler.pollJobDocument();
    }
    expect(handler.queuedJobIds).toEqual(['a', 'b']);
    const startNextsBefore = mqtt.publishedTo(`${P}/start-next`).length;
    nextExecutions.push(execution('c'));
    const taken = await handler.getJobDocument(0);
    expect(taken.kind === 'job' && taken.job.jobId).toBe('a');
    await new Promise((r) => setTimeout(r, 30));
    expect(mqtt.publishedTo(`${P}/start-next`).length).toBe(startNextsBefore + 1);
    expect(handler.queuedJobIds).toEqual(['b', 'c']);
  });

  it('sends updates with expectedVersion, the step timeout and statusDetails, tracking the version', async () => {
    nextExecutions.push(execution('job-2', { versionNumber: 4 }));
    await handler.start({ thingName: THING, stepTimeoutInMinutes: 3 });
    await handler.getJobDocument(2000);
    mqtt.onPublish = (m) => {
      if (m.topic === `${P}/job-2/update`) {
        const v = (m.json.expectedVersion as number) + 1;
        void reply(mqtt, m, 'accepted', { executionState: { status: m.json.status, statusDetails: m.json.statusDetails, versionNumber: v } });
      }
    };
    const state = await handler.updateJobStatus('job-2', 'IN_PROGRESS', { receive: '10/100' });
    expect(state).toEqual({ status: 'IN_PROGRESS', statusDetails: { receive: '10/100' }, versionNumber: 5 });
    const [first] = mqtt.publishedTo(`${P}/job-2/update`);
    expect(first!.json).toMatchObject({
      status: 'IN_PROGRESS',
      statusDetails: { receive: '10/100' },
      expectedVersion: 4,
      includeJobExecutionState: true,
      stepTimeoutInMinutes: 3,
    });
    await handler.updateJobStatus('job-2', 'SUCCEEDED', { reason: 'done' });
    const second = mqtt.publishedTo(`${P}/job-2/update`)[1]!;
    expect(second.json.expectedVersion).toBe(5);
    // No step timer on a terminal status.
    expect(second.json.stepTimeoutInMinutes).toBeUndefined();
  });

  it('retries once with the service version on VersionMismatch, and only once', async () => {
    nextExecutions.push(execution('job-3', { versionNumber: 1 }));
    await handler.start({ thingName: THING });
    await handler.getJobDocument(2000);
    let mismatches = 1;
    mqtt.onPublish = (m) => {
      if (m.topic !== `${P}/job-3/update`) return;
      if (mismatches-- > 0) {
        void reply(mqtt, m, 'rejected', {
          code: 'VersionMismatch',
          message: 'version mismatch',
          executionState: { status: 'IN_PROGRESS', versionNumber: 6 },
        });
      } else {
        void reply(mqtt, m, 'accepted', { executionState: { status: 'IN_PROGRESS', versionNumber: 7 } });
      }
    };
    await handler.updateJobStatus('job-3', 'IN_PROGRESS');
    const updates = mqtt.publishedTo(`${P}/job-3/update`);
    expect(updates.map((u) => u.json.expectedVersion)).toEqual([1, 6]);
    expect(handler.counters.versionRetries).toBe(1);

    mismatches = 5;
    const error = await handler.updateJobStatus('job-3', 'IN_PROGRESS').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobsRequestRejectedError);
    expect((error as JobsRequestRejectedError).code).toBe('VersionMismatch');
    // One retry: two more publishes, not more.
    expect(mqtt.publishedTo(`${P}/job-3/update`).map((u) => u.json.expectedVersion)).toEqual([1, 6, 7, 6]);
  });

  it('asks for the version with DescribeJobExecution when a VersionMismatch carries no state', async () => {
    nextExecutions.push(execution('job-4', { versionNumber: 1 }));
    await handler.start({ thingName: THING });
    await handler.getJobDocument(2000);
    let first = true;
    mqtt.onPublish = (m) => {
      if (m.topic === `${P}/job-4/update`) {
        if (first) {
          first = false;
          void reply(mqtt, m, 'rejected', { code: 'VersionMismatch', message: 'no state' });
        } else void reply(mqtt, m, 'accepted', { executionState: { status: 'IN_PROGRESS', versionNumber: 10 } });
      } else if (m.topic === `${P}/job-4/get`) {
        expect(m.json.includeJobDocument).toBe(false);
        void reply(mqtt, m, 'accepted', { execution: execution('job-4', { versionNumber: 9 }) });
      }
    };
    await handler.updateJobStatus('job-4', 'IN_PROGRESS');
    expect(mqtt.publishedTo(`${P}/job-4/update`).map((u) => u.json.expectedVersion)).toEqual([1, 9]);
  });

  it('surfaces the documented rejection codes with the execution state', async () => {
    nextExecutions.push(execution('job-5'));
    await handler.start({ thingName: THING });
    await handler.getJobDocument(2000);
    mqtt.onPublish = (m) => {
      if (m.topic === `${P}/job-5/update`) {
        void reply(mqtt, m, 'rejected', {
          code: 'InvalidStateTransition',
          message: 'cannot go from SUCCEEDED to IN_PROGRESS',
          executionState: { status: 'IN_PROGRESS', versionNumber: 3 },
        });
      }
    };
    const error = (await handler.updateJobStatus('job-5', 'IN_PROGRESS').catch((e: unknown) => e)) as JobsRequestRejectedError;
    expect(error).toBeInstanceOf(JobsRequestRejectedError);
    expect(error.code).toBe('InvalidStateTransition');
    expect(error.executionState).toEqual({ status: 'IN_PROGRESS', versionNumber: 3 });
    expect(error.message).toMatch(/UpdateJobExecution job-5 rejected with InvalidStateTransition: cannot go/);
  });

  it('tells listeners when an update finds the job in a terminal state', async () => {
    nextExecutions.push(execution('job-6'));
    await handler.start({ thingName: THING });
    await handler.getJobDocument(2000);
    const ended: Array<[string, string | undefined]> = [];
    handler.addJobEndedListener((id, status) => ended.push([id, status]));
    mqtt.onPublish = (m) => {
      if (m.topic === `${P}/job-6/update`) {
        void reply(mqtt, m, 'rejected', { code: 'TerminalStateReached', message: 'job is CANCELED', executionState: { status: 'CANCELED' } });
      }
    };
    await expect(handler.updateJobStatus('job-6', 'IN_PROGRESS')).rejects.toThrow(/TerminalStateReached/);
    expect(ended).toEqual([['job-6', 'CANCELED']]);
  });

  it('detects a cancelled job when notify-next stops naming it', async () => {
    nextExecutions.push(execution('job-8'));
    await handler.start({ thingName: THING });
    await handler.getJobDocument(2000);
    const ended = new Promise<[string, string | undefined]>((resolve) => handler.addJobEndedListener((id, s) => resolve([id, s])));
    mqtt.onPublish = (m) => {
      if (m.topic === `${P}/job-8/get`) void reply(mqtt, m, 'accepted', { execution: execution('job-8', { status: 'CANCELED' }) });
      if (m.topic === `${P}/start-next`) void reply(mqtt, m, 'accepted', {});
    };
    // The queue became empty: notify-next without an execution.
    await mqtt.deliver(`${P}/notify-next`, { timestamp: 1700000100 });
    expect(await ended).toEqual(['job-8', 'CANCELED']);
  });

  it('does not treat the notify-next after its own terminal update as a cancellation', async () => {
    nextExecutions.push(execution('job-9'));
    await handler.start({ thingName: THING });
    await handler.getJobDocument(2000);
    const ended: string[] = [];
    handler.addJobEndedListener((id) => ended.push(id));
    mqtt.onPublish = (m) => {
      if (m.topic === `${P}/job-9/update`) {
        // The service announces the new next job before answering the update.
        void mqtt.deliver(`${P}/notify-next`, {}).then(() =>
          reply(mqtt, m, 'accepted', { executionState: { status: 'SUCCEEDED', versionNumber: 3 } }),
        );
      }
    };
    await handler.updateJobStatus('job-9', 'SUCCEEDED');
    await new Promise((r) => setTimeout(r, 20));
    expect(ended).toEqual([]);
    expect(mqtt.publishedTo(`${P}/job-9/get`)).toHaveLength(0);
  });

  it('refuses a job document above 32 KB with REJECTED and accepts one of exactly 32,768 bytes', async () => {
    const exactly = (n: number) => ({ pad: 'x'.repeat(n - '{"pad":""}'.length) });
    nextExecutions.push(execution('big', { jobDocument: exactly(32_769) }));
    mqtt.onPublish = (m) => {
      if (m.topic === `${P}/start-next`) {
        const e = nextExecutions.shift();
        void reply(mqtt, m, 'accepted', e ? { execution: e } : {});
      }
      if (m.topic === `${P}/big/update`) void reply(mqtt, m, 'accepted', { executionState: { status: 'REJECTED', versionNumber: 3 } });
    };
    await handler.start({ thingName: THING });
    const update = await mqtt.nextPublish((m) => m.topic === `${P}/big/update`, true);
    expect(update.json).toMatchObject({ status: 'REJECTED', statusDetails: { reason: 'job document is 32769 bytes, limit 32768' } });
    expect(handler.counters.refused).toBe(1);
    nextExecutions.push(execution('fits', { jobDocument: exactly(32_768) }));
    await handler.pollJobDocument();
    const result = await handler.getJobDocument(0);
    expect(result.kind === 'job' && result.job.documentBytes).toBe(32_768);
  });

  it('times out a request the service never answers', async () => {
    nextExecutions.push(execution('job-10'));
    await handler.start({ thingName: THING, requestTimeoutMs: 80 });
    await handler.getJobDocument(2000);
    const error = await handler.updateJobStatus('job-10', 'IN_PROGRESS').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('UpdateJobExecution job-10 timed out after 80 ms');
  });

  it('drops a queued copy of a job once it is reported terminal', async () => {
    nextExecutions.push(execution('j-a'), execution('j-b'));
    await handler.start({ thingName: THING });
    await handler.pollJobDocument();
    expect(handler.queuedJobIds).toEqual(['j-a', 'j-b']);
    mqtt.onPublish = (m) => {
      if (m.topic.endsWith('/update')) void reply(mqtt, m, 'accepted', { executionState: { status: m.json.status, versionNumber: 3 } });
    };
    // e.g. the OTA agent finishing a job after reboot before the application dequeued its copy
    await handler.updateJobStatus('j-b', 'SUCCEEDED');
    expect(handler.queuedJobIds).toEqual(['j-a']);
  });

  it('stop() returns what is still queued and releases waiting callers', async () => {
    nextExecutions.push(execution('q1'));
    await handler.start({ thingName: THING });
    await mqtt.nextPublish((m) => m.topic === `${P}/start-next`, true);
    await new Promise((r) => setTimeout(r, 10));
    expect(handler.queuedJobIds).toEqual(['q1']);
    const remaining = await handler.stop();
    expect(remaining.map((j) => j.jobId)).toEqual(['q1']);
    expect(mqtt.subscriptions.size).toBe(0);
    expect(await handler.getJobDocument(1000)).toEqual({ kind: 'stopped' });
    await expect(handler.updateJobStatus('q1', 'SUCCEEDED')).rejects.toThrow(/not running/);
  });

  it('a caller waiting in getJobDocument gets the job as soon as it arrives', async () => {
    await handler.start({ thingName: THING });
    await new Promise((r) => setTimeout(r, 10));
    const waiting = handler.getJobDocument(5000);
    nextExecutions.push(execution('late'));
    await mqtt.deliver(`${P}/notify-next`, { execution: execution('late', { status: 'QUEUED' }) });
    const result = await waiting;
    expect(result.kind === 'job' && result.job.jobId).toBe('late');
  });
});
