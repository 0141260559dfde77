import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CloudCore } from './core.js';
import { arnOf, newId } from './ids.js';
import { invalid, notFound } from './errors.js';
import type { OtaTaskRow, RetryCriterion, ThingRow } from './registry.js';

export interface CreateOtaTaskRequest {
  OtaType?: 'ONE_TIME' | 'CONTINUOUS';
  /** ONE_TIME: up to 100 managed things, by ARN or id. */
  Target?: string[];
  /** CONTINUOUS: e.g. `attributes.owner=managedintegrations` (clauses joined by AND). */
  OtaTargetQueryString?: string;
  /** The job document: a local path, `file://…` or `http(s)://…` URL (instead of S3). */
  S3Url?: string;
  /** Or the job document itself. */
  JobDocument?: Record<string, unknown>;
  Description?: string;
  Protocol?: string;
  OtaMechanism?: string;
  OtaTaskExecutionRetryConfig?: { RetryConfigCriteria?: RetryCriterion[] };
  /** From the task configuration's TimeoutConfig. */
  InProgressTimeoutInMinutes?: number;
  ClientToken?: string;
  Tags?: Record<string, string>;
}

const MAX_ONE_TIME_TARGETS = 100;

interface QueryClause { attribute: string; value: string }

/** Parses `attributes.k=v AND attributes.k2:v2` (the fleet-indexing syntax uses ':', the guide '='). */
export function parseTargetQuery(query: string): QueryClause[] {
  const clauses = query.trim().split(/\s+AND\s+/i);
  return clauses.map((clause) => {
    const match = /^attributes\.([A-Za-z0-9_.-]+)\s*[=:]\s*(.+)$/.exec(clause.trim());
    if (!match) throw invalid(`OtaTargetQueryString clause ${JSON.stringify(clause)} is not attributes.<name>=<value>`);
    return { attribute: match[1]!, value: match[2]!.trim().replace(/^"(.*)"$/, '$1') };
  });
}

const matches = (thing: ThingRow, clauses: QueryClause[]): boolean =>
  clauses.every((c) => thing.metadata[c.attribute] === c.value || (c.value === '*' && c.attribute in thing.metadata));

/**
 * Managed-integrations OTA tasks on top of the jobs engine: each task is a job whose id is the task id.
 * ONE_TIME targets a fixed list; CONTINUOUS targets the managed things whose metadata matches the query,
 * re-evaluated whenever a managed thing is created, updated or provisioned.
 */
export class OtaTasks {
  readonly #core: CloudCore;
  #reevaluating: Promise<void> = Promise.resolve();

  constructor(core: CloudCore) {
    this.#core = core;
  }

  async create(request: CreateOtaTaskRequest): Promise<{ Arn: string; Description: string | null; TaskId: string }> {
    const core = this.#core;
    const otaType = request.OtaType ?? 'ONE_TIME';
    if (otaType !== 'ONE_TIME' && otaType !== 'CONTINUOUS') throw invalid(`OtaType must be ONE_TIME or CONTINUOUS, got ${otaType}`);
    const protocol = request.Protocol ?? 'HTTP';
    if (protocol !== 'HTTP') throw invalid(`Protocol must be HTTP, got ${protocol}`);
    let targets: string[] = [];
    let clauses: QueryClause[] | null = null;
    if (otaType === 'ONE_TIME') {
      const raw = request.Target ?? [];
      if (raw.length === 0 || raw.length > MAX_ONE_TIME_TARGETS) {
        throw invalid(`a ONE_TIME task needs 1 to ${MAX_ONE_TIME_TARGETS} Target managed things, got ${raw.length}`);
      }
      targets = raw.map((t) => {
        const id = t.replace(/^arn:.*:managed-thing\//, '');
        if (!core.registry.getThing(id)) throw notFound('managed thing', t);
        return id;
      });
    } else {
      if (!request.OtaTargetQueryString) throw invalid('a CONTINUOUS task needs OtaTargetQueryString');
      clauses = parseTargetQuery(request.OtaTargetQueryString);
    }
    const document = request.JobDocument ?? await loadDocument(request.S3Url);
    const taskId = newId();
    const now = core.now() / 1000;
    const row: OtaTaskRow = {
      taskId, arn: arnOf('ota-task', taskId), description: request.Description ?? null, otaType, protocol,
      otaMechanism: request.OtaMechanism ?? 'PUSH', targets, queryString: request.OtaTargetQueryString ?? null,
      documentSource: request.S3Url ?? null, status: 'IN_PROGRESS', createdAt: now, lastUpdatedAt: now,
    };
    core.registry.insertOtaTask(row);
    await core.jobs.createJob({
      jobId: taskId, document, targets: clauses ? this.#matching(clauses) : targets,
      ...(request.Description !== undefined ? { description: request.Description } : {}),
      ...(request.InProgressTimeoutInMinutes !== undefined
        ? { inProgressTimeoutInMinutes: request.InProgressTimeoutInMinutes } : {}),
      retry: request.OtaTaskExecutionRetryConfig?.RetryConfigCriteria ?? [], otaTaskId: taskId,
    });
    return { Arn: row.arn, Description: row.description, TaskId: taskId };
  }

  get(taskId: string): Record<string, unknown> {
    const t = this.#task(taskId);
    return {
      TaskId: t.taskId, TaskArn: t.arn, Description: t.description ?? undefined, OtaType: t.otaType,
      Protocol: t.protocol, OtaMechanism: t.otaMechanism, Target: t.otaType === 'ONE_TIME' ? t.targets : undefined,
      OtaTargetQueryString: t.queryString ?? undefined, S3Url: t.documentSource ?? undefined, Status: t.status,
      CreatedAt: t.createdAt, LastUpdatedAt: t.lastUpdatedAt,
    };
  }

  list(): { Tasks: Record<string, unknown>[] } {
    return { Tasks: this.#core.registry.listOtaTasks().map((t) => ({ TaskId: t.taskId, TaskArn: t.arn,
      Status: t.status, CreatedAt: t.createdAt, LastUpdatedAt: t.lastUpdatedAt })) };
  }

  /** DeleteOtaTask / cancel: the job's pending executions become CANCELED. */
  async cancel(taskId: string): Promise<void> {
    this.#task(taskId);
    await this.#core.jobs.cancelJob(taskId);
    this.#core.registry.setOtaTaskStatus(taskId, 'CANCELED', this.#core.now() / 1000);
  }

  /** ListOtaTaskExecutions, in the shape the developer guide shows. */
  listExecutions(taskId: string): { taskExecutionSummaries: unknown[] } {
    this.#task(taskId);
    return {
      taskExecutionSummaries: this.#core.jobs.listJobExecutionsForJob(taskId).map((e) => ({
        taskExecutionSummary: {
          executionNumber: e.executionNumber, lastUpdatedAt: e.lastUpdatedAt, queuedAt: e.queuedAt,
          ...(e.startedAt !== null ? { startedAt: e.startedAt } : {}), status: e.status, retryAttempt: e.retryAttempt,
        },
        managedThingId: e.thingName,
      })),
    };
  }

  /** Adds executions for things that newly match a CONTINUOUS task (serialized: changes can come in bursts). */
  reevaluate(): Promise<void> {
    this.#reevaluating = this.#reevaluating.then(async () => {
      for (const task of this.#core.registry.listOtaTasks()) {
        if (task.otaType !== 'CONTINUOUS' || task.status !== 'IN_PROGRESS' || !task.queryString) continue;
        await this.#core.jobs.addTargets(task.taskId, this.#matching(parseTargetQuery(task.queryString)));
      }
    }).catch((error) => { process.stderr.write(`mi-cloud: OTA re-evaluation failed: ${(error as Error).message}\n`); });
    return this.#reevaluating;
  }

  #matching(clauses: QueryClause[]): string[] {
    return this.#core.registry.listThings().filter((t) => matches(t, clauses)).map((t) => t.id);
  }

  #task(taskId: string): OtaTaskRow {
    const t = this.#core.registry.getOtaTask(taskId.replace(/^arn:.*:ota-task\//, ''));
    if (!t) throw notFound('OTA task', taskId);
    return t;
  }
}

async function loadDocument(source: string | undefined): Promise<Record<string, unknown>> {
  if (!source) throw invalid('S3Url (a path or URL of the job document) or JobDocument is required');
  let text: string;
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source);
    if (!response.ok) throw invalid(`job document ${source}: HTTP ${response.status}`);
    text = await response.text();
  } else {
    const path = source.startsWith('file://') ? fileURLToPath(source) : source;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw invalid(`job document ${source} cannot be read: ${(error as Error).message}`);
    }
  }
  try {
    const document = JSON.parse(text);
    if (document === null || typeof document !== 'object' || Array.isArray(document)) throw new Error('not an object');
    return document;
  } catch (error) {
    throw invalid(`job document ${source} is not a JSON object: ${(error as Error).message}`);
  }
}
