import { randomBytes } from 'node:crypto';
import type { InboundMessage } from './broker.js';
import type { CloudCore } from './core.js';
import { conflict, invalid, notFound } from './errors.js';
import type { ExecutionRow, ExecutionStatus, JobRow, RetryCriterion } from './registry.js';

const TERMINAL: readonly ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'REMOVED', 'CANCELED'];
const DEVICE_SETTABLE: readonly ExecutionStatus[] = ['IN_PROGRESS', 'FAILED', 'SUCCEEDED', 'REJECTED'];
const JOB_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_DOCUMENT_BYTES = 32_768;

const JOBS_TOPIC = /^\$aws\/things\/([^/]+)\/jobs\/(.+)$/;

export interface CreateJobRequest {
  jobId?: string;
  document: unknown;
  targets: string[];
  description?: string;
  /** Job-level timer: an execution still IN_PROGRESS this long after it started becomes TIMED_OUT. */
  inProgressTimeoutInMinutes?: number;
  /** Re-queue FAILED / TIMED_OUT executions this many times (OTA task retry config). */
  retry?: RetryCriterion[];
  otaTaskId?: string;
}

/** A Jobs-API error response (`InvalidTopic`, `InvalidJson`, `InvalidRequest`, `InvalidStateTransition`, …). */
class JobsRejection extends Error {
  constructor(readonly code: string, message: string, readonly executionState?: unknown) {
    super(message);
  }
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
const isTerminal = (status: ExecutionStatus): boolean => TERMINAL.includes(status);

/**
 * AWS IoT Jobs, device side over MQTT (aws-jobs.md): GetPendingJobExecutions, StartNextPendingJobExecution,
 * DescribeJobExecution (including `$next`), UpdateJobExecution with expectedVersion, step and in-progress
 * timeouts to TIMED_OUT, notify and notify-next. Timestamps are epoch seconds; jobDocument is an object.
 */
export class JobsService {
  readonly #core: CloudCore;
  #timer: NodeJS.Timeout | undefined;
  /** Last `notify-next` job id sent per thing, so notify-next goes out only when the next job changes. */
  readonly #lastNext = new Map<string, string | null>();

  constructor(core: CloudCore) {
    this.#core = core;
  }

  start(): void {
    this.#timer ??= setInterval(() => { void this.checkTimeouts(); }, 200);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  // ------------------------------------------------------------------ control plane

  async createJob(request: CreateJobRequest): Promise<{ jobId: string; jobArn: string }> {
    const core = this.#core;
    const jobId = request.jobId ?? `job-${randomBytes(8).toString('hex')}`;
    if (!JOB_ID.test(jobId)) throw invalid(`jobId must be 1 to 64 characters of [a-zA-Z0-9_-], got ${jobId}`);
    if (core.registry.getJob(jobId)) throw conflict(`job ${jobId} already exists`);
    if (request.document === null || typeof request.document !== 'object') {
      throw invalid('job document must be a JSON object');
    }
    const size = Buffer.byteLength(JSON.stringify(request.document));
    if (size > MAX_DOCUMENT_BYTES) throw invalid(`job document is ${size} bytes, the limit is ${MAX_DOCUMENT_BYTES}`);
    core.registry.insertJob({
      jobId, document: request.document, description: request.description ?? null, status: 'IN_PROGRESS',
      otaTaskId: request.otaTaskId ?? null, inProgressTimeoutMinutes: request.inProgressTimeoutInMinutes ?? null,
      retry: request.retry ?? [], createdAt: seconds(core.now()),
    });
    await this.addTargets(jobId, request.targets);
    return { jobId, jobArn: `arn:aws:iot:us-east-1:123456789012:job/${jobId}` };
  }

  /** Queues an execution of the job for each thing that has none yet. */
  async addTargets(jobId: string, thingNames: readonly string[]): Promise<void> {
    const core = this.#core;
    const now = seconds(core.now());
    const touched: string[] = [];
    for (const thingName of new Set(thingNames)) {
      if (core.registry.getExecution(jobId, thingName)) continue;
      core.registry.putExecution({
        jobId, thingName, status: 'QUEUED', statusDetails: {}, queuedAt: now, startedAt: null, lastUpdatedAt: now,
        versionNumber: 1, executionNumber: core.registry.nextCounter('executionNumber'), retryAttempt: 0,
        deadline: null,
      });
      touched.push(thingName);
    }
    for (const thingName of touched) {
      this.#emitExecution(core.registry.getExecution(jobId, thingName)!);
      await this.#notify(thingName);
    }
  }

  /** CancelJob: every execution not yet terminal becomes CANCELED. */
  async cancelJob(jobId: string): Promise<void> {
    const core = this.#core;
    if (!core.registry.getJob(jobId)) throw notFound('job', jobId);
    core.registry.setJobStatus(jobId, 'CANCELED');
    for (const execution of core.registry.listExecutionsForJob(jobId)) {
      if (isTerminal(execution.status)) continue;
      this.#save({ ...execution, status: 'CANCELED', deadline: null });
      await this.#notify(execution.thingName);
    }
  }

  describeJob(jobId: string): Record<string, unknown> {
    const job = this.#core.registry.getJob(jobId);
    if (!job) throw notFound('job', jobId);
    return { jobId, status: job.status, document: job.document, description: job.description,
      otaTaskId: job.otaTaskId, createdAt: job.createdAt,
      executions: this.#core.registry.listExecutionsForJob(jobId).map((e) => this.#summary(e, true)) };
  }

  listJobExecutionsForJob(jobId: string): ExecutionRow[] {
    return this.#core.registry.listExecutionsForJob(jobId);
  }

  /** Moves IN_PROGRESS executions whose step or in-progress timer ran out to TIMED_OUT. */
  async checkTimeouts(): Promise<void> {
    const now = this.#core.now();
    for (const execution of this.#core.registry.listExecutionsWithDeadline()) {
      if (execution.deadline === null || execution.deadline > now || isTerminal(execution.status)) continue;
      await this.#finish({ ...execution, status: 'TIMED_OUT', deadline: null,
        lastUpdatedAt: seconds(now), versionNumber: execution.versionNumber + 1 });
    }
  }

  // ------------------------------------------------------------------ device side (MQTT)

  async handle(message: InboundMessage): Promise<void> {
    const match = JOBS_TOPIC.exec(message.topic);
    if (!match) return;
    const thingName = match[1]!;
    const rest = match[2]!;
    if (rest === 'notify' || rest === 'notify-next' || rest.endsWith('/accepted') || rest.endsWith('/rejected')) return;
    let request: Record<string, unknown> = {};
    let clientToken: unknown;
    try {
      if (message.payload.length > 0) {
        try {
          request = JSON.parse(message.payload.toString('utf8'));
        } catch {
          throw new JobsRejection('InvalidJson', 'Request payload is not valid JSON');
        }
        if (request === null || typeof request !== 'object' || Array.isArray(request)) {
          throw new JobsRejection('InvalidJson', 'Request payload must be a JSON object');
        }
      }
      clientToken = request.clientToken;
      const response = await this.#dispatch(thingName, rest, request);
      if (clientToken !== undefined) response.clientToken = clientToken;
      await message.reply(`${message.topic}/accepted`, Buffer.from(JSON.stringify(response)));
    } catch (error) {
      const rejection = error instanceof JobsRejection ? error
        : new JobsRejection('InternalError', (error as Error).message);
      const body: Record<string, unknown> = { code: rejection.code, message: rejection.message,
        timestamp: seconds(this.#core.now()) };
      if (clientToken !== undefined) body.clientToken = clientToken;
      if (rejection.executionState !== undefined) body.executionState = rejection.executionState;
      await message.reply(`${message.topic}/rejected`, Buffer.from(JSON.stringify(body)));
    }
  }

  async #dispatch(thingName: string, rest: string, request: Record<string, unknown>)
    : Promise<Record<string, unknown>> {
    const timestamp = seconds(this.#core.now());
    if (rest === 'get') {
      const pending = this.#pending(thingName);
      return {
        inProgressJobs: pending.filter((e) => e.status === 'IN_PROGRESS').map((e) => this.#summary(e)),
        queuedJobs: pending.filter((e) => e.status === 'QUEUED').map((e) => this.#summary(e)),
        timestamp,
      };
    }
    if (rest === 'start-next') return this.#startNext(thingName, request, timestamp);
    const parts = rest.split('/');
    if (parts.length === 2 && parts[1] === 'get') return this.#describe(thingName, parts[0]!, request, timestamp);
    if (parts.length === 2 && parts[1] === 'update' && parts[0] !== '$next') {
      return this.#update(thingName, parts[0]!, request, timestamp);
    }
    throw new JobsRejection('InvalidTopic', `Unknown jobs topic $aws/things/${thingName}/jobs/${rest}`);
  }

  async #startNext(thingName: string, request: Record<string, unknown>, timestamp: number)
    : Promise<Record<string, unknown>> {
    const next = this.#next(thingName);
    if (!next) return { timestamp };
    const statusDetails = this.#statusDetails(request.statusDetails) ?? next.statusDetails;
    const stepTimeout = this.#stepTimeout(request.stepTimeoutInMinutes);
    let execution = next;
    if (next.status === 'QUEUED') {
      const now = this.#core.now();
      execution = { ...next, status: 'IN_PROGRESS', statusDetails, startedAt: seconds(now), lastUpdatedAt: seconds(now),
        versionNumber: next.versionNumber + 1 };
      execution.deadline = this.#deadline(execution, stepTimeout, null);
      this.#save(execution);
      await this.#notify(thingName);
    }
    return { execution: this.#execution(execution, true), timestamp };
  }

  #describe(thingName: string, jobId: string, request: Record<string, unknown>, timestamp: number)
    : Record<string, unknown> {
    const execution = jobId === '$next' ? this.#next(thingName) : this.#core.registry.getExecution(jobId, thingName);
    if (!execution) {
      if (jobId === '$next') return { timestamp };
      throw new JobsRejection('ResourceNotFound', `Job execution ${jobId} for thing ${thingName} not found`);
    }
    if (request.executionNumber !== undefined && Number(request.executionNumber) !== execution.executionNumber) {
      throw new JobsRejection('ResourceNotFound',
        `Job execution ${jobId} number ${String(request.executionNumber)} not found`);
    }
    return { execution: this.#execution(execution, request.includeJobDocument !== false), timestamp };
  }

  async #update(thingName: string, jobId: string, request: Record<string, unknown>, timestamp: number)
    : Promise<Record<string, unknown>> {
    const current = this.#core.registry.getExecution(jobId, thingName);
    if (!current) throw new JobsRejection('ResourceNotFound', `Job execution ${jobId} for thing ${thingName} not found`);
    const state = this.#state(current);
    const status = request.status as ExecutionStatus;
    if (typeof status !== 'string') throw new JobsRejection('InvalidRequest', 'status is required');
    if (!DEVICE_SETTABLE.includes(status)) {
      throw new JobsRejection('InvalidRequest', `status must be one of ${DEVICE_SETTABLE.join(', ')}, got ${status}`);
    }
    if (request.executionNumber !== undefined && Number(request.executionNumber) !== current.executionNumber) {
      throw new JobsRejection('ResourceNotFound',
        `Job execution ${jobId} number ${String(request.executionNumber)} not found`);
    }
    if (request.expectedVersion !== undefined && Number(request.expectedVersion) !== current.versionNumber) {
      throw new JobsRejection('VersionMismatch',
        `expectedVersion ${String(request.expectedVersion)} does not match current version ${current.versionNumber}`,
        state);
    }
    if (isTerminal(current.status)) {
      throw new JobsRejection('InvalidStateTransition',
        `Job execution ${jobId} is ${current.status}, a terminal status; it cannot become ${status}`, state);
    }
    const statusDetails = this.#statusDetails(request.statusDetails) ?? current.statusDetails;
    const stepTimeout = this.#stepTimeout(request.stepTimeoutInMinutes);
    const now = this.#core.now();
    const updated: ExecutionRow = {
      ...current, status, statusDetails, lastUpdatedAt: seconds(now), versionNumber: current.versionNumber + 1,
      startedAt: current.startedAt ?? (status === 'IN_PROGRESS' ? seconds(now) : current.startedAt),
    };
    if (isTerminal(status)) {
      await this.#finish({ ...updated, deadline: null });
    } else {
      updated.deadline = this.#deadline(updated, stepTimeout, current.deadline);
      this.#save(updated);
      await this.#notify(thingName);
    }
    const response: Record<string, unknown> = { timestamp };
    if (request.includeJobExecutionState === true) response.executionState = this.#state(updated);
    if (request.includeJobDocument === true) response.jobDocument = this.#core.registry.getJob(jobId)?.document;
    return response;
  }

  /** Terminal status: saved, retried if the job's retry criteria say so, and the thing notified. */
  async #finish(execution: ExecutionRow): Promise<void> {
    const core = this.#core;
    this.#save(execution);
    const job = core.registry.getJob(execution.jobId);
    if (job && (execution.status === 'FAILED' || execution.status === 'TIMED_OUT') && job.status === 'IN_PROGRESS') {
      const allowed = Math.max(0, ...job.retry
        .filter((c) => c.FailureType === 'ALL' || c.FailureType === execution.status)
        .map((c) => c.MinNumberOfRetries));
      if (execution.retryAttempt < allowed) {
        const now = seconds(core.now());
        this.#save({ ...execution, status: 'QUEUED', statusDetails: {}, queuedAt: now, startedAt: null,
          lastUpdatedAt: now, versionNumber: 1, executionNumber: core.registry.nextCounter('executionNumber'),
          retryAttempt: execution.retryAttempt + 1, deadline: null });
      }
    }
    await this.#notify(execution.thingName);
  }

  #save(execution: ExecutionRow): void {
    this.#core.registry.putExecution(execution);
    this.#emitExecution(execution);
  }

  #emitExecution(e: ExecutionRow): void {
    this.#core.emit('job-execution', { jobId: e.jobId, thingName: e.thingName, status: e.status,
      statusDetails: e.statusDetails, versionNumber: e.versionNumber, executionNumber: e.executionNumber,
      retryAttempt: e.retryAttempt });
  }

  #deadline(execution: ExecutionRow, stepTimeout: number | null, previous: number | null): number | null {
    const minute = this.#core.options.jobsMinuteMs;
    const step = stepTimeout !== null ? this.#core.now() + stepTimeout * minute : previous;
    const job = this.#core.registry.getJob(execution.jobId);
    // startedAt is in whole seconds: when the execution starts now, time from now; later, from the end of
    // that second, so the timer may run up to a second long but never short.
    const startedMs = execution.startedAt === null ? null
      : Math.floor(this.#core.now() / 1000) === execution.startedAt ? this.#core.now() : execution.startedAt * 1000 + 999;
    const inProgress = job?.inProgressTimeoutMinutes && startedMs !== null
      ? startedMs + job.inProgressTimeoutMinutes * minute : null;
    const candidates = [step, inProgress].filter((v): v is number => v !== null);
    return candidates.length ? Math.min(...candidates) : null;
  }

  #stepTimeout(value: unknown): number | null {
    if (value === undefined || value === null) return null;
    const minutes = Number(value);
    if (!Number.isFinite(minutes) || minutes < 1 || minutes > 10080) {
      throw new JobsRejection('InvalidRequest', `stepTimeoutInMinutes must be 1 to 10080, got ${String(value)}`);
    }
    return minutes;
  }

  #statusDetails(value: unknown): Record<string, string> | undefined {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== 'object' || Array.isArray(value)
      || Object.values(value).some((v) => typeof v !== 'string')) {
      throw new JobsRejection('InvalidRequest', 'statusDetails must be an object of string values');
    }
    return value as Record<string, string>;
  }

  #pending(thingName: string): ExecutionRow[] {
    return this.#core.registry.listExecutionsForThing(thingName)
      .filter((e) => e.status === 'QUEUED' || e.status === 'IN_PROGRESS');
  }

  /** The next pending execution: the oldest IN_PROGRESS one, else the oldest QUEUED one. */
  #next(thingName: string): ExecutionRow | undefined {
    const pending = this.#pending(thingName);
    return pending.find((e) => e.status === 'IN_PROGRESS') ?? pending.find((e) => e.status === 'QUEUED');
  }

  async #notify(thingName: string): Promise<void> {
    const broker = this.#core.broker;
    if (!broker) return;
    const timestamp = seconds(this.#core.now());
    const pending = this.#pending(thingName);
    const jobs: Record<string, unknown[]> = {};
    for (const e of pending) (jobs[e.status] ??= []).push(this.#summary(e));
    await broker.publish(`$aws/things/${thingName}/jobs/notify`, JSON.stringify({ timestamp, jobs }), 1);
    const next = this.#next(thingName);
    const nextId = next?.jobId ?? null;
    if (this.#lastNext.get(thingName) === nextId && this.#lastNext.has(thingName)) return;
    this.#lastNext.set(thingName, nextId);
    const body = next ? { timestamp, execution: this.#execution(next, true) } : { timestamp };
    await broker.publish(`$aws/things/${thingName}/jobs/notify-next`, JSON.stringify(body), 1);
  }

  #summary(e: ExecutionRow, withStatus = false): Record<string, unknown> {
    return {
      jobId: e.jobId, ...(withStatus ? { thingName: e.thingName, status: e.status, retryAttempt: e.retryAttempt } : {}),
      queuedAt: e.queuedAt, ...(e.startedAt !== null ? { startedAt: e.startedAt } : {}),
      lastUpdatedAt: e.lastUpdatedAt, versionNumber: e.versionNumber, executionNumber: e.executionNumber,
    };
  }

  #state(e: ExecutionRow): Record<string, unknown> {
    return { status: e.status, statusDetails: e.statusDetails, versionNumber: e.versionNumber };
  }

  #execution(e: ExecutionRow, includeDocument: boolean): Record<string, unknown> {
    const job: JobRow | undefined = this.#core.registry.getJob(e.jobId);
    const result: Record<string, unknown> = {
      jobId: e.jobId, thingName: e.thingName, status: e.status, statusDetails: e.statusDetails,
      queuedAt: e.queuedAt, ...(e.startedAt !== null ? { startedAt: e.startedAt } : {}),
      lastUpdatedAt: e.lastUpdatedAt, versionNumber: e.versionNumber, executionNumber: e.executionNumber,
    };
    if (includeDocument) result.jobDocument = job?.document;
    if (e.deadline !== null && e.status === 'IN_PROGRESS') {
      result.approximateSecondsBeforeTimedOut = Math.max(0, Math.round((e.deadline - this.#core.now()) / 1000));
    }
    return result;
  }
}
