import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Certificate statuses as AWS IoT names them. */
export type CertificateStatus = 'PENDING_ACTIVATION' | 'ACTIVE' | 'INACTIVE' | 'REVOKED';
export type CertificateKind = 'claim' | 'device' | 'service';

export interface CertificateRow {
  certificateId: string;
  serialNumber: string;
  commonName: string;
  certificatePem: string;
  kind: CertificateKind;
  status: CertificateStatus;
  profileName: string | null;
  thingId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface ProfileRow {
  id: string;
  name: string;
  arn: string;
  provisioningType: string;
  claimCertificateId: string;
  claimCertificatePem: string;
  claimPrivateKeyPem: string;
  createdAt: number;
}

export interface ThingRow {
  id: string;
  arn: string;
  role: string;
  name: string | null;
  owner: string | null;
  authenticationMaterial: string;
  authenticationMaterialType: string;
  serialNumber: string | null;
  universalProductCode: string | null;
  internationalArticleNumber: string | null;
  provisioningStatus: string;
  metadata: Record<string, string>;
  tags: Record<string, string>;
  certificateId: string | null;
  createdAt: number;
  updatedAt: number;
  activatedAt: number | null;
}

export interface ReportRow { seq: number; thingId: string; kind: 'state' | 'event'; payload: unknown; receivedAt: number }

export interface CommandRow {
  traceId: string;
  thingId: string;
  request: unknown;
  response: unknown;
  status: 'SENT' | 'RESPONDED' | 'TIMED_OUT';
  sentAt: number;
  respondedAt: number | null;
}

export type ExecutionStatus =
  'QUEUED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'REJECTED' | 'REMOVED' | 'CANCELED';

export interface JobRow {
  jobId: string;
  document: unknown;
  description: string | null;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'CANCELED';
  otaTaskId: string | null;
  inProgressTimeoutMinutes: number | null;
  retry: RetryCriterion[];
  createdAt: number;
}

export interface RetryCriterion { FailureType: 'FAILED' | 'TIMED_OUT' | 'ALL'; MinNumberOfRetries: number }

export interface ExecutionRow {
  jobId: string;
  thingName: string;
  status: ExecutionStatus;
  statusDetails: Record<string, string>;
  queuedAt: number;
  startedAt: number | null;
  lastUpdatedAt: number;
  versionNumber: number;
  executionNumber: number;
  retryAttempt: number;
  /** Epoch ms at which an IN_PROGRESS execution times out (step or in-progress timer), or null. */
  deadline: number | null;
}

export interface OtaTaskRow {
  taskId: string;
  arn: string;
  description: string | null;
  otaType: 'ONE_TIME' | 'CONTINUOUS';
  protocol: string;
  otaMechanism: string;
  targets: string[];
  queryString: string | null;
  documentSource: string | null;
  status: 'IN_PROGRESS' | 'CANCELED' | 'COMPLETED';
  createdAt: number;
  lastUpdatedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS certificates (
  certificate_id TEXT PRIMARY KEY, serial_number TEXT NOT NULL UNIQUE, common_name TEXT NOT NULL,
  certificate_pem TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, profile_name TEXT, thing_id TEXT,
  created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, arn TEXT NOT NULL, provisioning_type TEXT NOT NULL,
  claim_certificate_id TEXT NOT NULL, claim_certificate_pem TEXT NOT NULL, claim_private_key_pem TEXT NOT NULL,
  created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ownership_tokens (
  token TEXT PRIMARY KEY, certificate_id TEXT NOT NULL, expires_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS things (
  id TEXT PRIMARY KEY, arn TEXT NOT NULL, role TEXT NOT NULL, name TEXT, owner TEXT,
  authentication_material TEXT NOT NULL, authentication_material_type TEXT NOT NULL,
  serial_number TEXT UNIQUE, universal_product_code TEXT, international_article_number TEXT,
  provisioning_status TEXT NOT NULL, metadata TEXT NOT NULL, tags TEXT NOT NULL, certificate_id TEXT,
  created_at REAL NOT NULL, updated_at REAL NOT NULL, activated_at REAL);
CREATE TABLE IF NOT EXISTS capability_reports (
  thing_id TEXT PRIMARY KEY, report TEXT NOT NULL, received_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS states (
  thing_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, capability_id TEXT NOT NULL, capability_name TEXT,
  capability_version TEXT, property TEXT NOT NULL, value TEXT, last_changed_at TEXT, received_at REAL NOT NULL,
  PRIMARY KEY (thing_id, endpoint_id, capability_id, property));
CREATE TABLE IF NOT EXISTS reports (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, thing_id TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL,
  received_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
  trace_id TEXT PRIMARY KEY, thing_id TEXT NOT NULL, request TEXT NOT NULL, response TEXT, status TEXT NOT NULL,
  sent_at REAL NOT NULL, responded_at REAL);
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY, document TEXT NOT NULL, description TEXT, status TEXT NOT NULL, ota_task_id TEXT,
  in_progress_timeout_minutes REAL, retry TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS job_executions (
  job_id TEXT NOT NULL, thing_name TEXT NOT NULL, status TEXT NOT NULL, status_details TEXT NOT NULL,
  queued_at REAL NOT NULL, started_at REAL, last_updated_at REAL NOT NULL, version_number INTEGER NOT NULL,
  execution_number INTEGER NOT NULL, retry_attempt INTEGER NOT NULL, deadline REAL,
  PRIMARY KEY (job_id, thing_name));
CREATE TABLE IF NOT EXISTS ota_tasks (
  task_id TEXT PRIMARY KEY, arn TEXT NOT NULL, description TEXT, ota_type TEXT NOT NULL, protocol TEXT NOT NULL,
  ota_mechanism TEXT NOT NULL, targets TEXT NOT NULL, query_string TEXT, document_source TEXT, status TEXT NOT NULL,
  created_at REAL NOT NULL, last_updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

type Row = Record<string, unknown>;
const json = (text: unknown): any => (text === null || text === undefined ? null : JSON.parse(String(text)));

function toCertificate(r: Row): CertificateRow {
  return {
    certificateId: r.certificate_id as string, serialNumber: r.serial_number as string,
    commonName: r.common_name as string, certificatePem: r.certificate_pem as string,
    kind: r.kind as CertificateKind, status: r.status as CertificateStatus,
    profileName: (r.profile_name as string | null) ?? null, thingId: (r.thing_id as string | null) ?? null,
    createdAt: r.created_at as number, updatedAt: r.updated_at as number,
  };
}

function toProfile(r: Row): ProfileRow {
  return {
    id: r.id as string, name: r.name as string, arn: r.arn as string, provisioningType: r.provisioning_type as string,
    claimCertificateId: r.claim_certificate_id as string, claimCertificatePem: r.claim_certificate_pem as string,
    claimPrivateKeyPem: r.claim_private_key_pem as string, createdAt: r.created_at as number,
  };
}

function toThing(r: Row): ThingRow {
  return {
    id: r.id as string, arn: r.arn as string, role: r.role as string, name: r.name as string | null,
    owner: r.owner as string | null, authenticationMaterial: r.authentication_material as string,
    authenticationMaterialType: r.authentication_material_type as string,
    serialNumber: r.serial_number as string | null, universalProductCode: r.universal_product_code as string | null,
    internationalArticleNumber: r.international_article_number as string | null,
    provisioningStatus: r.provisioning_status as string, metadata: json(r.metadata) ?? {}, tags: json(r.tags) ?? {},
    certificateId: r.certificate_id as string | null, createdAt: r.created_at as number,
    updatedAt: r.updated_at as number, activatedAt: r.activated_at as number | null,
  };
}

function toExecution(r: Row): ExecutionRow {
  return {
    jobId: r.job_id as string, thingName: r.thing_name as string, status: r.status as ExecutionStatus,
    statusDetails: json(r.status_details) ?? {}, queuedAt: r.queued_at as number,
    startedAt: r.started_at as number | null, lastUpdatedAt: r.last_updated_at as number,
    versionNumber: r.version_number as number, executionNumber: r.execution_number as number,
    retryAttempt: r.retry_attempt as number, deadline: r.deadline as number | null,
  };
}

function toJob(r: Row): JobRow {
  return {
    jobId: r.job_id as string, document: json(r.document), description: r.description as string | null,
    status: r.status as JobRow['status'], otaTaskId: r.ota_task_id as string | null,
    inProgressTimeoutMinutes: r.in_progress_timeout_minutes as number | null, retry: json(r.retry) ?? [],
    createdAt: r.created_at as number,
  };
}

function toOtaTask(r: Row): OtaTaskRow {
  return {
    taskId: r.task_id as string, arn: r.arn as string, description: r.description as string | null,
    otaType: r.ota_type as OtaTaskRow['otaType'], protocol: r.protocol as string,
    otaMechanism: r.ota_mechanism as string, targets: json(r.targets) ?? [], queryString: r.query_string as string | null,
    documentSource: r.document_source as string | null, status: r.status as OtaTaskRow['status'],
    createdAt: r.created_at as number, lastUpdatedAt: r.last_updated_at as number,
  };
}

/**
 * The cloud's registry: one SQLite file `<dataDir>/registry.db` in WAL mode, so a running cloud and
 * the `mi-cloud` CLI can share it. Plain typed accessors; the rules live in the services that use it.
 */
export class Registry {
  readonly #db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.#db = new Database(join(dataDir, 'registry.db'));
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
  }

  close(): void {
    this.#db.close();
  }

  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  // ---- certificates
  insertCertificate(c: CertificateRow): void {
    this.#db.prepare(`INSERT INTO certificates VALUES (@certificateId, @serialNumber, @commonName, @certificatePem,
      @kind, @status, @profileName, @thingId, @createdAt, @updatedAt)`).run(c);
  }

  getCertificate(certificateId: string): CertificateRow | undefined {
    const r = this.#db.prepare('SELECT * FROM certificates WHERE certificate_id = ?').get(certificateId) as Row | undefined;
    return r && toCertificate(r);
  }

  listCertificates(): CertificateRow[] {
    return (this.#db.prepare('SELECT * FROM certificates ORDER BY created_at').all() as Row[]).map(toCertificate);
  }

  updateCertificate(certificateId: string, fields: { status?: CertificateStatus; thingId?: string | null }, at: number)
    : void {
    const current = this.getCertificate(certificateId);
    if (!current) return;
    this.#db.prepare('UPDATE certificates SET status = ?, thing_id = ?, updated_at = ? WHERE certificate_id = ?')
      .run(fields.status ?? current.status, fields.thingId === undefined ? current.thingId : fields.thingId, at,
        certificateId);
  }

  deleteCertificate(certificateId: string): void {
    this.#db.prepare('DELETE FROM certificates WHERE certificate_id = ?').run(certificateId);
  }

  // ---- ownership tokens
  insertOwnershipToken(token: string, certificateId: string, expiresAt: number): void {
    this.#db.prepare('INSERT INTO ownership_tokens VALUES (?, ?, ?, 0)').run(token, certificateId, expiresAt);
  }

  getOwnershipToken(token: string): { certificateId: string; expiresAt: number; used: boolean } | undefined {
    const r = this.#db.prepare('SELECT * FROM ownership_tokens WHERE token = ?').get(token) as Row | undefined;
    return r && { certificateId: r.certificate_id as string, expiresAt: r.expires_at as number, used: r.used === 1 };
  }

  markOwnershipTokenUsed(token: string): void {
    this.#db.prepare('UPDATE ownership_tokens SET used = 1 WHERE token = ?').run(token);
  }

  /** Tokens past their expiry whose certificate never got activated (AWS deletes those certificates). */
  expiredUnusedTokens(now: number): { token: string; certificateId: string }[] {
    return (this.#db.prepare('SELECT token, certificate_id FROM ownership_tokens WHERE used = 0 AND expires_at <= ?')
      .all(now) as Row[]).map((r) => ({ token: r.token as string, certificateId: r.certificate_id as string }));
  }

  deleteOwnershipToken(token: string): void {
    this.#db.prepare('DELETE FROM ownership_tokens WHERE token = ?').run(token);
  }

  // ---- provisioning profiles
  insertProfile(p: ProfileRow): void {
    this.#db.prepare(`INSERT INTO profiles VALUES (@id, @name, @arn, @provisioningType, @claimCertificateId,
      @claimCertificatePem, @claimPrivateKeyPem, @createdAt)`).run(p);
  }

  getProfile(nameOrId: string): ProfileRow | undefined {
    const r = this.#db.prepare('SELECT * FROM profiles WHERE name = ? OR id = ?').get(nameOrId, nameOrId) as Row
      | undefined;
    return r && toProfile(r);
  }

  listProfiles(): ProfileRow[] {
    return (this.#db.prepare('SELECT * FROM profiles ORDER BY created_at').all() as Row[]).map(toProfile);
  }

  deleteProfile(id: string): void {
    this.#db.prepare('DELETE FROM profiles WHERE id = ?').run(id);
  }

  // ---- managed things
  insertThing(t: ThingRow): void {
    this.#db.prepare(`INSERT INTO things VALUES (@id, @arn, @role, @name, @owner, @authenticationMaterial,
      @authenticationMaterialType, @serialNumber, @universalProductCode, @internationalArticleNumber,
      @provisioningStatus, @metadata, @tags, @certificateId, @createdAt, @updatedAt, @activatedAt)`)
      .run({ ...t, metadata: JSON.stringify(t.metadata), tags: JSON.stringify(t.tags) });
  }

  getThing(id: string): ThingRow | undefined {
    const r = this.#db.prepare('SELECT * FROM things WHERE id = ?').get(id) as Row | undefined;
    return r && toThing(r);
  }

  findThingBySerialNumber(serialNumber: string): ThingRow | undefined {
    const r = this.#db.prepare('SELECT * FROM things WHERE serial_number = ?').get(serialNumber) as Row | undefined;
    return r && toThing(r);
  }

  listThings(): ThingRow[] {
    return (this.#db.prepare('SELECT * FROM things ORDER BY created_at, id').all() as Row[]).map(toThing);
  }

  updateThing(t: ThingRow): void {
    this.#db.prepare(`UPDATE things SET name = @name, owner = @owner, provisioning_status = @provisioningStatus,
      metadata = @metadata, tags = @tags, certificate_id = @certificateId, updated_at = @updatedAt,
      activated_at = @activatedAt, serial_number = @serialNumber, universal_product_code = @universalProductCode,
      international_article_number = @internationalArticleNumber, authentication_material = @authenticationMaterial
      WHERE id = @id`).run({ ...t, metadata: JSON.stringify(t.metadata), tags: JSON.stringify(t.tags) });
  }

  deleteThing(id: string): void {
    this.transaction(() => {
      for (const table of ['capability_reports', 'states', 'reports', 'commands']) {
        this.#db.prepare(`DELETE FROM ${table} WHERE thing_id = ?`).run(id);
      }
      this.#db.prepare('DELETE FROM things WHERE id = ?').run(id);
    });
  }

  // ---- data plane
  putCapabilityReport(thingId: string, report: unknown, at: number): void {
    this.#db.prepare('INSERT OR REPLACE INTO capability_reports VALUES (?, ?, ?)')
      .run(thingId, JSON.stringify(report), at);
  }

  getCapabilityReport(thingId: string): { report: unknown; receivedAt: number } | undefined {
    const r = this.#db.prepare('SELECT * FROM capability_reports WHERE thing_id = ?').get(thingId) as Row | undefined;
    return r && { report: json(r.report), receivedAt: r.received_at as number };
  }

  putState(thingId: string, s: { endpointId: string; capabilityId: string; capabilityName: string | null;
    capabilityVersion: string | null; property: string; value: unknown; lastChangedAt: string | null }, at: number)
    : void {
    this.#db.prepare('INSERT OR REPLACE INTO states VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(thingId, s.endpointId,
      s.capabilityId, s.capabilityName, s.capabilityVersion, s.property, JSON.stringify(s.value ?? null),
      s.lastChangedAt, at);
  }

  listState(thingId: string): { endpointId: string; capabilityId: string; capabilityName: string | null;
    capabilityVersion: string | null; property: string; value: unknown; lastChangedAt: string | null }[] {
    return (this.#db.prepare('SELECT * FROM states WHERE thing_id = ? ORDER BY endpoint_id, capability_id, property')
      .all(thingId) as Row[]).map((r) => ({
      endpointId: r.endpoint_id as string, capabilityId: r.capability_id as string,
      capabilityName: r.capability_name as string | null, capabilityVersion: r.capability_version as string | null,
      property: r.property as string, value: json(r.value), lastChangedAt: r.last_changed_at as string | null,
    }));
  }

  insertReport(thingId: string, kind: 'state' | 'event', payload: unknown, at: number): number {
    return Number(this.#db.prepare('INSERT INTO reports (thing_id, kind, payload, received_at) VALUES (?, ?, ?, ?)')
      .run(thingId, kind, JSON.stringify(payload), at).lastInsertRowid);
  }

  listReports(thingId: string, kind: 'state' | 'event', limit = 1000): ReportRow[] {
    return (this.#db.prepare('SELECT * FROM reports WHERE thing_id = ? AND kind = ? ORDER BY seq DESC LIMIT ?')
      .all(thingId, kind, limit) as Row[]).reverse().map((r) => ({
      seq: r.seq as number, thingId: r.thing_id as string, kind: r.kind as 'state' | 'event',
      payload: json(r.payload), receivedAt: r.received_at as number,
    }));
  }

  insertCommand(c: CommandRow): void {
    this.#db.prepare('INSERT INTO commands VALUES (?, ?, ?, ?, ?, ?, ?)').run(c.traceId, c.thingId,
      JSON.stringify(c.request), c.response === null ? null : JSON.stringify(c.response), c.status, c.sentAt,
      c.respondedAt);
  }

  setCommandStatus(traceId: string, status: CommandRow['status'], response: unknown, at: number | null): void {
    this.#db.prepare('UPDATE commands SET status = ?, response = ?, responded_at = ? WHERE trace_id = ?')
      .run(status, response === null ? null : JSON.stringify(response), at, traceId);
  }

  getCommand(traceId: string): CommandRow | undefined {
    const r = this.#db.prepare('SELECT * FROM commands WHERE trace_id = ?').get(traceId) as Row | undefined;
    return r && {
      traceId: r.trace_id as string, thingId: r.thing_id as string, request: json(r.request),
      response: json(r.response), status: r.status as CommandRow['status'], sentAt: r.sent_at as number,
      respondedAt: r.responded_at as number | null,
    };
  }

  // ---- jobs
  insertJob(j: JobRow): void {
    this.#db.prepare('INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(j.jobId, JSON.stringify(j.document),
      j.description, j.status, j.otaTaskId, j.inProgressTimeoutMinutes, JSON.stringify(j.retry), j.createdAt);
  }

  getJob(jobId: string): JobRow | undefined {
    const r = this.#db.prepare('SELECT * FROM jobs WHERE job_id = ?').get(jobId) as Row | undefined;
    return r && toJob(r);
  }

  listJobs(): JobRow[] {
    return (this.#db.prepare('SELECT * FROM jobs ORDER BY created_at').all() as Row[]).map(toJob);
  }

  setJobStatus(jobId: string, status: JobRow['status']): void {
    this.#db.prepare('UPDATE jobs SET status = ? WHERE job_id = ?').run(status, jobId);
  }

  putExecution(e: ExecutionRow): void {
    this.#db.prepare(`INSERT OR REPLACE INTO job_executions VALUES (@jobId, @thingName, @status, @statusDetails,
      @queuedAt, @startedAt, @lastUpdatedAt, @versionNumber, @executionNumber, @retryAttempt, @deadline)`)
      .run({ ...e, statusDetails: JSON.stringify(e.statusDetails) });
  }

  getExecution(jobId: string, thingName: string): ExecutionRow | undefined {
    const r = this.#db.prepare('SELECT * FROM job_executions WHERE job_id = ? AND thing_name = ?')
      .get(jobId, thingName) as Row | undefined;
    return r && toExecution(r);
  }

  listExecutionsForThing(thingName: string): ExecutionRow[] {
    return (this.#db.prepare('SELECT * FROM job_executions WHERE thing_name = ? ORDER BY queued_at, rowid')
      .all(thingName) as Row[]).map(toExecution);
  }

  listExecutionsForJob(jobId: string): ExecutionRow[] {
    return (this.#db.prepare('SELECT * FROM job_executions WHERE job_id = ? ORDER BY queued_at, rowid')
      .all(jobId) as Row[]).map(toExecution);
  }

  listExecutionsWithDeadline(): ExecutionRow[] {
    return (this.#db.prepare('SELECT * FROM job_executions WHERE deadline IS NOT NULL').all() as Row[])
      .map(toExecution);
  }

  nextCounter(name: string): number {
    return this.transaction(() => {
      this.#db.prepare('INSERT OR IGNORE INTO counters VALUES (?, 0)').run(name);
      this.#db.prepare('UPDATE counters SET value = value + 1 WHERE name = ?').run(name);
      return (this.#db.prepare('SELECT value FROM counters WHERE name = ?').get(name) as Row).value as number;
    });
  }

  // ---- OTA tasks
  insertOtaTask(t: OtaTaskRow): void {
    this.#db.prepare(`INSERT INTO ota_tasks VALUES (@taskId, @arn, @description, @otaType, @protocol, @otaMechanism,
      @targets, @queryString, @documentSource, @status, @createdAt, @lastUpdatedAt)`)
      .run({ ...t, targets: JSON.stringify(t.targets) });
  }

  getOtaTask(taskId: string): OtaTaskRow | undefined {
    const r = this.#db.prepare('SELECT * FROM ota_tasks WHERE task_id = ?').get(taskId) as Row | undefined;
    return r && toOtaTask(r);
  }

  listOtaTasks(): OtaTaskRow[] {
    return (this.#db.prepare('SELECT * FROM ota_tasks ORDER BY created_at').all() as Row[]).map(toOtaTask);
  }

  setOtaTaskStatus(taskId: string, status: OtaTaskRow['status'], at: number): void {
    this.#db.prepare('UPDATE ota_tasks SET status = ?, last_updated_at = ? WHERE task_id = ?').run(status, at, taskId);
  }
}
