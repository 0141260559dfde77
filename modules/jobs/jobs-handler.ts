/**
 * The jobs handler: the TypeScript counterpart of the End Device SDK's iotmi_JobsHandler_* C API.
 * It speaks the AWS IoT Jobs device MQTT API (notify-next, start-next, {jobId}/get, {jobId}/update,
 * each answered on /accepted or /rejected) and hands jobs to the application one at a time through a
 * bounded queue.
 *
 * Flow: on start (and on every reconnect) and on every notify-next that names a job it does not hold,
 * it publishes StartNextPendingJobExecution, which moves the next job to IN_PROGRESS (with the step
 * timeout) and returns its document; the job is queued unless it is already queued or being processed.
 * Updates carry `expectedVersion`; a VersionMismatch is retried once with the service's version.
 * When notify-next stops naming a job the application holds, the handler asks the service about that
 * job and tells `onJobEnded` listeners if it was cancelled, removed or timed out.
 */
import type { Logger, Platform, TimerHandle } from '../../platform/pal/index.js';
import type { InboundMessage, MessageHandler, MqttClient } from '../mqtt/types.js';
import { BoundedQueue } from '../util/bounded-queue.js';
import { ArgumentError, TimeoutError } from '../util/errors.js';
import { encodeHex } from '../codec/hex.js';
import { JobsHandlerStoppedError, JobsRequestRejectedError } from './errors.js';
import { isValidJobId, JobsTopics, validateJobId, validateThingName } from './topics.js';
import {
  isTerminalStatus,
  JobsErrorCode,
  type DeviceJobStatus,
  type Job,
  type JobDocumentResult,
  type JobEndedListener,
  type JobExecution,
  type JobExecutionState,
  type JobsHandlerConfig,
  type JobsHandlerCounters,
  type JobStatus,
  type StatusDetails,
  type UpdateJobOptions,
} from './types.js';

/** AWS IoT: "The maximum size of a document that can be sent to an AWS IoT device is 32 KB." */
export const MAX_JOB_DOCUMENT_BYTES = 32_768;
const DEVICE_STATUSES: ReadonlySet<string> = new Set(['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED']);

export interface JobsHandlerDeps {
  mqtt: MqttClient;
  platform: Pick<Platform, 'timers' | 'random' | 'text' | 'log'>;
}

type Payload = Record<string, unknown>;

interface PendingRequest {
  name: string;
  resolve: (payload: Payload) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

interface Waiter {
  resolve: (result: JobDocumentResult) => void;
  timer: TimerHandle | undefined;
}

export class JobsHandler {
  readonly #mqtt: MqttClient;
  readonly #platform: JobsHandlerDeps['platform'];
  readonly #log: Logger;
  #topics: JobsTopics | undefined;
  #queue: BoundedQueue<Job> | undefined;
  #stepTimeoutInMinutes: number | undefined;
  #requestTimeoutMs = 10_000;
  #maxDocumentBytes = MAX_JOB_DOCUMENT_BYTES;
  #running = false;
  /** Jobs handed to the application and not yet reported terminal. */
  readonly #active = new Set<string>();
  /** Jobs whose terminal update is on its way: a notify-next that no longer names them is expected. */
  readonly #finishing = new Set<string>();
  /** expectedVersion per job: the last versionNumber the service told us. */
  readonly #versions = new Map<string, number>();
  readonly #pending = new Map<string, PendingRequest>();
  readonly #waiters: Waiter[] = [];
  readonly #endedListeners = new Set<JobEndedListener>();
  readonly #subscriptions: Array<[string, MessageHandler]> = [];
  #removeConnectionListener: (() => void) | undefined;
  #pollInFlight: Promise<JobExecution | undefined> | undefined;
  #pollAgain = false;
  /** A poll was skipped because the queue was full; run it when the application takes a job. */
  #pollDeferred = false;
  #tokenPrefix = '';
  #tokenCounter = 0;
  readonly #counters: JobsHandlerCounters = { notifications: 0, queued: 0, duplicates: 0, versionRetries: 0, refused: 0 };

  constructor(deps: JobsHandlerDeps) {
    this.#mqtt = deps.mqtt;
    this.#platform = deps.platform;
    this.#log = deps.platform.log;
  }

  get running(): boolean {
    return this.#running;
  }

  get counters(): Readonly<JobsHandlerCounters> {
    return this.#counters;
  }

  /** Jobs waiting in the queue (not yet taken by `getJobDocument`). */
  get queuedJobIds(): string[] {
    return this.#queue ? [...this.#queue].map((job) => job.jobId) : [];
  }

  /** Subscribes to the Jobs topics and asks for the next pending job (iotmi_JobsHandler_start). */
  async start(config: JobsHandlerConfig): Promise<void> {
    if (this.#running) throw new ArgumentError('jobs handler already started; stop() it first');
    const { text } = this.#platform;
    validateThingName(config.thingName, text);
    const queueSize = config.queueSize ?? 10;
    const maxDocumentBytes = config.maxDocumentBytes ?? MAX_JOB_DOCUMENT_BYTES;
    if (!(maxDocumentBytes >= 1 && maxDocumentBytes <= MAX_JOB_DOCUMENT_BYTES)) {
      throw new ArgumentError(`expected maxDocumentBytes in 1..${MAX_JOB_DOCUMENT_BYTES}, got ${maxDocumentBytes}`);
    }
    const step = config.stepTimeoutInMinutes;
    if (step !== undefined && !(Number.isInteger(step) && step >= 1 && step <= 10_080)) {
      throw new ArgumentError(`expected stepTimeoutInMinutes to be an integer in 1..10080, got ${step}`);
    }
    this.#topics = new JobsTopics(config.thingName);
    this.#queue = new BoundedQueue<Job>('jobs', queueSize);
    this.#stepTimeoutInMinutes = step;
    this.#requestTimeoutMs = config.requestTimeoutMs ?? 10_000;
    this.#maxDocumentBytes = maxDocumentBytes;
    this.#tokenPrefix = encodeHex(this.#platform.random.bytes(4));
    this.#running = true;

    const onNotifyNext: MessageHandler = (message) => this.#onNotifyNext(message);
    const onResponse: MessageHandler = (message) => this.#onResponse(message);
    const filters: Array<[string, MessageHandler]> = [
      [this.#topics.notifyNext, onNotifyNext],
      ...this.#topics.responseFilters.map((f): [string, MessageHandler] => [f, onResponse]),
    ];
    try {
      for (const [filter, handler] of filters) {
        await this.#mqtt.subscribe(filter, handler, { qos: 1 });
        this.#subscriptions.push([filter, handler]);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#removeConnectionListener = this.#mqtt.addConnectionListener({
      // Jobs may have been queued (or cancelled) while the device was offline.
      onConnected: () => this.#pollQuietly('reconnect'),
    });
    this.#pollQuietly('start');
  }

  /**
   * The next job, waiting up to `timeoutMs` (0: only what is queued). The job counts as being
   * processed until the application reports a terminal status for it.
   */
  getJobDocument(timeoutMs: number): Promise<JobDocumentResult> {
    const job = this.#queue?.shift();
    if (job) return Promise.resolve(this.#handOut(job));
    if (!this.#running) return Promise.resolve({ kind: 'stopped' });
    if (!(timeoutMs > 0)) return Promise.resolve({ kind: 'timeout' });
    return new Promise((resolve) => {
      const waiter: Waiter = { resolve, timer: undefined };
      waiter.timer = this.#platform.timers.set(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /**
   * Asks the service for the next pending job (StartNextPendingJobExecution) and queues it unless it
   * is already queued or being processed. Concurrent calls share one request.
   */
  pollJobDocument(): Promise<JobExecution | undefined> {
    if (!this.#running) return Promise.reject(new JobsHandlerStoppedError('pollJobDocument'));
    if (this.#queue!.full) {
      this.#pollDeferred = true;
      return Promise.resolve(undefined);
    }
    if (this.#pollInFlight) {
      this.#pollAgain = true;
      return this.#pollInFlight;
    }
    const poll = this.#startNext().finally(() => {
      this.#pollInFlight = undefined;
      if (this.#pollAgain && this.#running) {
        this.#pollAgain = false;
        this.#pollQuietly('coalesced');
      }
    });
    this.#pollInFlight = poll;
    return poll;
  }

  /**
   * UpdateJobExecution (iotmi_JobsHandler_updateJobStatus). Resolves with the new execution state
   * on `/accepted`; rejects with JobsRequestRejectedError on `/rejected` (after one retry with the
   * service's version on VersionMismatch) or TimeoutError.
   */
  async updateJobStatus(
    jobId: string,
    status: DeviceJobStatus,
    statusDetails?: StatusDetails,
    options: UpdateJobOptions = {},
  ): Promise<JobExecutionState> {
    validateJobId(jobId);
    if (!DEVICE_STATUSES.has(status)) {
      throw new ArgumentError(`expected status IN_PROGRESS, SUCCEEDED, FAILED or REJECTED, got ${JSON.stringify(status)}`);
    }
    if (statusDetails) validateStatusDetails(statusDetails);
    if (!this.#running) throw new JobsHandlerStoppedError('updateJobStatus');
    const terminal = isTerminalStatus(status);
    const step = options.stepTimeoutInMinutes ?? this.#stepTimeoutInMinutes;
    if (terminal) this.#finishing.add(jobId);
    try {
      for (let attempt = 0; ; attempt++) {
        const expectedVersion = this.#versions.get(jobId);
        const body: Payload = { status };
        if (statusDetails) body.statusDetails = statusDetails;
        if (expectedVersion !== undefined) body.expectedVersion = expectedVersion;
        body.includeJobExecutionState = true;
        if (status === 'IN_PROGRESS' && step !== undefined) body.stepTimeoutInMinutes = step;
        try {
          const response = await this.#request('UpdateJobExecution ' + jobId, this.#topics!.update(jobId), body);
          const state = asExecutionState(response.executionState);
          const version = state?.versionNumber ?? (expectedVersion === undefined ? undefined : expectedVersion + 1);
          if (version !== undefined) this.#versions.set(jobId, version);
          if (terminal) this.#forget(jobId);
          return state ?? { status, ...(statusDetails ? { statusDetails } : {}), ...(version !== undefined ? { versionNumber: version } : {}) };
        } catch (error) {
          if (!(error instanceof JobsRequestRejectedError)) throw error;
          const serviceState = error.executionState;
          if (serviceState && isTerminalStatus(serviceState.status)) {
            this.#ended(jobId, serviceState.status);
            throw error;
          }
          if (error.code === JobsErrorCode.TerminalStateReached) {
            this.#ended(jobId, serviceState?.status);
            throw error;
          }
          if (error.code === JobsErrorCode.VersionMismatch && attempt === 0) {
            this.#counters.versionRetries++;
            const version = serviceState?.versionNumber ?? (await this.#describe(jobId, false))?.versionNumber;
            if (version !== undefined) this.#versions.set(jobId, version);
            else this.#versions.delete(jobId);
            continue;
          }
          throw error;
        }
      }
    } finally {
      if (terminal) this.#finishing.delete(jobId);
    }
  }

  /** DescribeJobExecution; `jobId` may be `$next`. Undefined when there is no such execution. */
  async describeJob(jobId: string, includeJobDocument = true): Promise<JobExecution | undefined> {
    if (jobId !== '$next') validateJobId(jobId);
    if (!this.#running) throw new JobsHandlerStoppedError('describeJob');
    return this.#describe(jobId, includeJobDocument);
  }

  /** Called when a job the application holds ends without its report (cancelled, removed, timed out). */
  addJobEndedListener(listener: JobEndedListener): () => void {
    this.#endedListeners.add(listener);
    return () => this.#endedListeners.delete(listener);
  }

  /**
   * Unsubscribes, fails pending requests, resolves waiting `getJobDocument` calls with `stopped`, and
   * returns the jobs still queued so the application can keep them (iotmi_JobsHandler_stop).
   */
  async stop(): Promise<Job[]> {
    if (!this.#running && this.#subscriptions.length === 0) return this.#queue?.drain() ?? [];
    this.#running = false;
    this.#removeConnectionListener?.();
    this.#removeConnectionListener = undefined;
    for (const [token, request] of this.#pending) {
      this.#platform.timers.clear(request.timer);
      request.reject(new JobsHandlerStoppedError(request.name));
      this.#pending.delete(token);
    }
    for (const waiter of this.#waiters.splice(0)) {
      this.#platform.timers.clear(waiter.timer);
      waiter.resolve({ kind: 'stopped' });
    }
    const subscriptions = this.#subscriptions.splice(0);
    for (const [filter, handler] of subscriptions) {
      try {
        await this.#mqtt.unsubscribe(filter, handler);
      } catch (error) {
        this.#log.log('debug', 'jobs', 'unsubscribe failed while stopping', { filter, error: String(error) });
      }
    }
    this.#active.clear();
    this.#versions.clear();
    return this.#queue?.drain() ?? [];
  }

  // ---- internals ----

  #handOut(job: Job): JobDocumentResult {
    this.#active.add(job.jobId);
    if (this.#pollDeferred && this.#running) {
      this.#pollDeferred = false;
      this.#pollQuietly('queue space');
    }
    return { kind: 'job', job };
  }

  #pollQuietly(why: string): void {
    if (!this.#running) return;
    this.pollJobDocument().catch((error: unknown) => {
      this.#log.log('warn', 'jobs', 'StartNextPendingJobExecution failed', { why, error: String(error) });
    });
  }

  async #startNext(): Promise<JobExecution | undefined> {
    const body: Payload = {};
    if (this.#stepTimeoutInMinutes !== undefined) body.stepTimeoutInMinutes = this.#stepTimeoutInMinutes;
    const response = await this.#request('StartNextPendingJobExecution', this.#topics!.startNext, body);
    const execution = asExecution(response.execution);
    if (execution) this.#offer(execution);
    return execution;
  }

  async #describe(jobId: string, includeJobDocument: boolean): Promise<JobExecution | undefined> {
    try {
      const response = await this.#request('DescribeJobExecution ' + jobId, this.#topics!.describe(jobId), { includeJobDocument });
      const execution = asExecution(response.execution);
      if (execution?.versionNumber !== undefined && this.#active.has(execution.jobId)) {
        this.#versions.set(execution.jobId, execution.versionNumber);
      }
      return execution;
    } catch (error) {
      if (error instanceof JobsRequestRejectedError && error.code === JobsErrorCode.ResourceNotFound) return undefined;
      throw error;
    }
  }

  /** A job arrived from StartNext: queue it once, refuse what the device cannot take. */
  #offer(execution: JobExecution): void {
    const { jobId } = execution;
    if (!isValidJobId(jobId)) {
      this.#counters.refused++;
      this.#log.log('warn', 'jobs', 'ignoring a job with an invalid job id', { jobId: String(jobId).slice(0, 80) });
      return;
    }
    if (execution.versionNumber !== undefined) this.#versions.set(jobId, execution.versionNumber);
    if (this.#active.has(jobId) || this.#finishing.has(jobId) || this.queuedJobIds.includes(jobId)) {
      this.#counters.duplicates++;
      return;
    }
    const raw = execution.jobDocument;
    let documentText: string;
    let document: unknown;
    if (typeof raw === 'string') {
      // Over HTTP the service sends the document as a string; accept that form too.
      documentText = raw;
      try {
        document = JSON.parse(raw);
      } catch {
        document = raw;
      }
    } else {
      document = raw;
      documentText = raw === undefined ? '' : JSON.stringify(raw);
    }
    const documentBytes = this.#platform.text.encode(documentText).length;
    if (raw === undefined || documentBytes > this.#maxDocumentBytes) {
      const reason =
        raw === undefined ? 'job execution carries no job document' : `job document is ${documentBytes} bytes, limit ${this.#maxDocumentBytes}`;
      this.#refuse(jobId, reason);
      return;
    }
    const job: Job = {
      jobId,
      document,
      documentText,
      documentBytes,
      status: execution.status,
      statusDetails: execution.statusDetails ?? {},
      versionNumber: execution.versionNumber,
      executionNumber: execution.executionNumber,
    };
    this.#counters.queued++;
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#platform.timers.clear(waiter.timer);
      waiter.resolve(this.#handOut(job));
      return;
    }
    if (this.#queue!.full) {
      // StartNext returns in-progress jobs again, so nothing is lost: fetch it when there is room.
      this.#pollDeferred = true;
      this.#log.log('warn', 'jobs', 'job queue full; will fetch the job again when there is room', { jobId });
      return;
    }
    this.#queue!.push(job);
  }

  #refuse(jobId: string, reason: string): void {
    this.#counters.refused++;
    this.#log.log('warn', 'jobs', 'refusing job', { jobId, reason });
    this.#active.add(jobId);
    this.updateJobStatus(jobId, 'REJECTED', { reason }).catch((error: unknown) => {
      this.#log.log('warn', 'jobs', 'could not report the refused job', { jobId, error: String(error) });
    });
  }

  #onNotifyNext(message: InboundMessage): void {
    this.#counters.notifications++;
    const payload = this.#parse(message);
    if (!payload) return;
    const next = asExecution(payload.execution);
    for (const jobId of this.#active) {
      if (jobId !== next?.jobId && !this.#finishing.has(jobId)) void this.#checkEnded(jobId);
    }
    if (next && isValidJobId(next.jobId)) {
      const known = this.#active.has(next.jobId) || this.#finishing.has(next.jobId) || this.queuedJobIds.includes(next.jobId);
      if (known) this.#counters.duplicates++;
      else this.#pollQuietly('notify-next');
    }
  }

  /** The next job changed away from a job being processed: was it cancelled, removed, timed out? */
  async #checkEnded(jobId: string): Promise<void> {
    try {
      const execution = await this.#describe(jobId, false);
      if (!this.#active.has(jobId) || this.#finishing.has(jobId)) return;
      if (!execution) this.#ended(jobId, 'REMOVED');
      else if (isTerminalStatus(execution.status)) this.#ended(jobId, execution.status);
    } catch (error) {
      this.#log.log('warn', 'jobs', 'could not check whether a job ended', { jobId, error: String(error) });
    }
  }

  #ended(jobId: string, status: JobStatus | undefined): void {
    const held = this.#active.has(jobId) || this.queuedJobIds.includes(jobId);
    this.#forget(jobId);
    if (!held) return;
    this.#log.log('info', 'jobs', 'job ended without a report from the device', { jobId, status });
    for (const listener of [...this.#endedListeners]) {
      try {
        listener(jobId, status);
      } catch (error) {
        this.#log.log('error', 'jobs', 'onJobEnded listener threw', { jobId, error: String(error) });
      }
    }
  }

  /** The job is finished: drop it from the active set, the version map and the queue. */
  #forget(jobId: string): void {
    this.#active.delete(jobId);
    this.#versions.delete(jobId);
    const queue = this.#queue;
    if (queue && this.queuedJobIds.includes(jobId)) {
      for (const job of queue.drain()) if (job.jobId !== jobId) queue.push(job);
    }
  }

  #request(name: string, topic: string, body: Payload): Promise<Payload> {
    if (!this.#running) return Promise.reject(new JobsHandlerStoppedError(name));
    const clientToken = `${this.#tokenPrefix}-${++this.#tokenCounter}`;
    const payload = JSON.stringify({ ...body, clientToken });
    const timeoutMs = this.#requestTimeoutMs;
    return new Promise<Payload>((resolve, reject) => {
      const timer = this.#platform.timers.set(() => {
        if (this.#pending.delete(clientToken)) reject(new TimeoutError(name, timeoutMs));
      }, timeoutMs);
      this.#pending.set(clientToken, { name, resolve, reject, timer });
      this.#mqtt.publish(topic, payload, { qos: 1 }).catch((error: unknown) => {
        const request = this.#pending.get(clientToken);
        if (!request) return;
        this.#pending.delete(clientToken);
        this.#platform.timers.clear(request.timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  #onResponse(message: InboundMessage): void {
    const payload = this.#parse(message);
    if (!payload) return;
    const token = typeof payload.clientToken === 'string' ? payload.clientToken : undefined;
    const request = token === undefined ? undefined : this.#pending.get(token);
    if (!request || token === undefined) {
      this.#log.log('debug', 'jobs', 'response without a pending request', { topic: message.topic });
      return;
    }
    this.#pending.delete(token);
    this.#platform.timers.clear(request.timer);
    if (message.topic.endsWith('/accepted')) {
      request.resolve(payload);
    } else {
      const code = typeof payload.code === 'string' ? payload.code : 'Unknown';
      const text = typeof payload.message === 'string' ? payload.message : '';
      request.reject(new JobsRequestRejectedError(request.name, code, text, asExecutionState(payload.executionState)));
    }
  }

  #parse(message: InboundMessage): Payload | undefined {
    try {
      const value: unknown = JSON.parse(this.#platform.text.decode(message.payload, true));
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Payload;
    } catch {
      // fall through
    }
    this.#log.log('warn', 'jobs', 'ignoring a malformed Jobs message', { topic: message.topic, bytes: message.payload.length });
    return undefined;
  }
}

function validateStatusDetails(details: StatusDetails): void {
  for (const [key, value] of Object.entries(details)) {
    if (typeof value !== 'string') {
      throw new ArgumentError(`expected statusDetails values to be strings, got ${typeof value} for ${JSON.stringify(key)}`);
    }
  }
}

function asExecution(value: unknown): JobExecution | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const execution = value as JobExecution;
  return typeof execution.jobId === 'string' && typeof execution.status === 'string' ? execution : undefined;
}

function asExecutionState(value: unknown): JobExecutionState | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const state = value as JobExecutionState;
  return typeof state.status === 'string' ? state : undefined;
}
