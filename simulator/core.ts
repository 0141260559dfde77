import { EventEmitter } from 'node:events';
import type { CloudBroker, InboundMessage } from './broker.js';
import { LocalCa, type KeyAlgorithm } from './ca.js';
import { DataPlane, type SendCommandResult } from './data-plane.js';
import { conflict, invalid, notFound } from './errors.js';
import { FleetProvisioning } from './fleet-provisioning.js';
import { ACCOUNT, arnOf, newId, REGION } from './ids.js';
import { JobsService } from './jobs.js';
import { OtaTasks, type CreateOtaTaskRequest } from './ota.js';
import type { Identity } from './policy.js';
import { Registry, type CertificateRow, type CertificateStatus, type ThingRow } from './registry.js';


export interface CoreOptions {
  dataDir: string;
  /** Key type of certificates made by CreateKeysAndCertificate: RSA-2048 (default, as AWS) or EC P-256. */
  deviceKeyAlgorithm: KeyAlgorithm;
  /** Lifetime of a certificate ownership token (AWS: one hour). */
  ownershipTokenTtlMs: number;
  /** Length of a "minute" for job step and in-progress timeouts (tests shorten it). */
  jobsMinuteMs: number;
  /** Clock in epoch milliseconds (tests may move it forward). */
  now: () => number;
}

/** Events a running cloud emits; see README. */
export interface CloudEvents {
  provisioned: { managedThingId: string; thingName: string; certificateId: string };
  provisioning: { topic: string; outcome: 'accepted' | 'rejected'; response: unknown };
  capabilities: { managedThingId: string; report: unknown };
  'capabilities-rejected': { managedThingId: string; reason: string; report: unknown };
  state: { managedThingId: string; payload: unknown };
  event: { managedThingId: string; payload: unknown };
  response: { managedThingId: string; traceId: string; payload: unknown };
  'job-execution': { jobId: string; thingName: string; status: string; statusDetails: Record<string, string>;
    versionNumber: number; executionNumber: number; retryAttempt: number };
  connected: { clientId: string; identity: Identity };
  disconnected: { clientId: string; identity: Identity | null };
  'certificate-status': { certificateId: string; status: CertificateStatus };
}

export interface CreateManagedThingRequest {
  Role?: string;
  AuthenticationMaterial?: string;
  AuthenticationMaterialType?: string;
  Name?: string;
  Owner?: string;
  SerialNumber?: string;
  UniversalProductCode?: string;
  InternationalArticleNumber?: string;
  MetaData?: Record<string, string>;
  Tags?: Record<string, string>;
}

export interface UpdateManagedThingRequest {
  Name?: string;
  Owner?: string;
  MetaData?: Record<string, string>;
  Tags?: Record<string, string>;
}

/** Parses `SN:…;UPC:…;EAN:…;` (the managed-integrations authentication material). */
export function parseAuthenticationMaterial(material: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of material.split(';')) {
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    fields[part.slice(0, colon).trim().toUpperCase()] = part.slice(colon + 1).trim();
  }
  return fields;
}

/**
 * The cloud's logic without its network front ends: registry, CA, fleet provisioning, data plane, jobs,
 * OTA tasks. The `mi-cloud` CLI uses it directly (no broker) for registry operations when no cloud runs.
 */
export class CloudCore extends EventEmitter {
  readonly registry: Registry;
  readonly ca: LocalCa;
  readonly options: CoreOptions;
  readonly fleetProvisioning: FleetProvisioning;
  readonly dataPlane: DataPlane;
  readonly jobs: JobsService;
  readonly ota: OtaTasks;
  broker: CloudBroker | null = null;
  /** Which client ids each certificate is connected as (to take sessions over when it is revoked). */
  readonly #clientIdsByCertificate = new Map<string, Set<string>>();

  private constructor(registry: Registry, ca: LocalCa, options: CoreOptions) {
    super();
    this.registry = registry;
    this.ca = ca;
    this.options = options;
    this.fleetProvisioning = new FleetProvisioning(this);
    this.dataPlane = new DataPlane(this);
    this.jobs = new JobsService(this);
    this.ota = new OtaTasks(this);
  }

  static async open(options: Partial<CoreOptions> & { dataDir: string }): Promise<CloudCore> {
    const full: CoreOptions = {
      dataDir: options.dataDir,
      deviceKeyAlgorithm: options.deviceKeyAlgorithm ?? 'RSA',
      ownershipTokenTtlMs: options.ownershipTokenTtlMs ?? 3600_000,
      jobsMinuteMs: options.jobsMinuteMs ?? 60_000,
      now: options.now ?? Date.now,
    };
    const ca = await LocalCa.open(full.dataDir);
    return new CloudCore(new Registry(full.dataDir), ca, full);
  }

  now(): number {
    return this.options.now();
  }

  override emit<K extends keyof CloudEvents>(event: K, data: CloudEvents[K]): boolean {
    return super.emit(event, data);
  }

  /** Attach the broker: the core starts serving its topics. */
  attach(broker: CloudBroker): void {
    this.broker = broker;
    broker.onMessage = (message) => { void this.#route(message); };
    broker.onClientConnected = (clientId, identity) => {
      if (identity.kind !== 'service') {
        const ids = this.#clientIdsByCertificate.get(identity.certificateId) ?? new Set<string>();
        ids.add(clientId);
        this.#clientIdsByCertificate.set(identity.certificateId, ids);
      }
      this.emit('connected', { clientId, identity });
    };
    broker.onClientDisconnected = (clientId, identity) => {
      if (identity && identity.kind !== 'service') this.#clientIdsByCertificate.get(identity.certificateId)?.delete(clientId);
      this.emit('disconnected', { clientId, identity });
    };
    this.jobs.start();
    // Certificates whose ownership token ran out unused are revoked within a minute, not only when noticed.
    this.#expiryTimer = setInterval(() => { void this.expireOwnershipTokens().catch(() => {}); }, 60_000);
    this.#expiryTimer.unref();
  }

  #expiryTimer: NodeJS.Timeout | undefined;

  #closed = false;

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#expiryTimer) clearInterval(this.#expiryTimer);
    this.jobs.stop();
    this.dataPlane.stop();
    this.registry.close();
  }

  async #route(message: InboundMessage): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.fleetProvisioning.handles(message.topic)) await this.fleetProvisioning.handle(message);
      else if (message.topic.startsWith('$aws/things/')) await this.jobs.handle(message);
      else if (message.topic.startsWith('north/')) await this.dataPlane.handle(message);
    } catch (error) {
      if (this.#closed) return; // stopped while handling: the registry is gone, nothing to answer
      process.stderr.write(`mi-cloud: error handling ${message.topic}: ${(error as Error).stack}\n`);
    }
  }

  /** Who may connect with a certificate: ACTIVE claim certificates, ACTIVE device certificates bound to a thing. */
  resolveIdentity(certificateId: string): Identity | null {
    const cert = this.registry.getCertificate(certificateId);
    if (!cert || cert.status !== 'ACTIVE') return null;
    if (cert.kind === 'claim' && cert.profileName) {
      return { kind: 'claim', certificateId, profileName: cert.profileName };
    }
    if (cert.kind === 'device' && cert.thingId && this.registry.getThing(cert.thingId)) {
      return { kind: 'device', certificateId, thingName: cert.thingId };
    }
    return null;
  }

  /** Ends the live sessions of a certificate (those the broker saw connect with it). */
  async endSessionsOf(certificateId: string, extraClientIds: readonly string[] = []): Promise<void> {
    const clientIds = [...(this.#clientIdsByCertificate.get(certificateId) ?? []), ...extraClientIds];
    await this.broker?.disconnectCertificate(certificateId, clientIds);
  }

  async policyChanged(): Promise<void> {
    await this.broker?.refreshPolicy();
  }

  /** A managed thing was created, changed or provisioned: continuous OTA tasks re-evaluate their query. */
  thingChanged(_thingId: string): void {
    this.ota.reevaluate();
  }

  /** Deletes the pending certificates of ownership tokens that expired unused, as AWS does after an hour. */
  async expireOwnershipTokens(): Promise<void> {
    const expired = this.registry.expiredUnusedTokens(this.now());
    if (expired.length === 0) return;
    for (const { token, certificateId } of expired) {
      const cert = this.registry.getCertificate(certificateId);
      // AWS deletes the certificate; we keep it as REVOKED so both brokers go on refusing it.
      if (cert?.status === 'PENDING_ACTIVATION') {
        this.registry.updateCertificate(certificateId, { status: 'REVOKED' }, this.now() / 1000);
      }
      this.registry.deleteOwnershipToken(token);
    }
    await this.policyChanged();
  }

  // ---------------------------------------------------------------- provisioning profiles

  async createProvisioningProfile(request: { Name: string; ProvisioningType?: string }): Promise<{
    Arn: string; ClaimCertificate: string; ClaimCertificatePrivateKey: string; Id: string; Name: string;
    ProvisioningType: string }> {
    const name = request.Name;
    if (typeof name !== 'string' || !/^[0-9A-Za-z_-]{1,36}$/.test(name)) {
      throw invalid(`Name must be 1 to 36 characters of [0-9A-Za-z_-] (it is the fleet-provisioning template name), got ${JSON.stringify(name)}`);
    }
    const provisioningType = request.ProvisioningType ?? 'FLEET_PROVISIONING';
    if (provisioningType !== 'FLEET_PROVISIONING') {
      throw invalid(`ProvisioningType ${provisioningType} is not supported by the local cloud (FLEET_PROVISIONING only)`);
    }
    if (this.registry.getProfile(name)) throw conflict(`provisioning profile ${name} already exists`);
    const id = newId();
    const claim = await this.ca.issueWithNewKey({ commonName: `claim-${id}`, usage: 'client', algorithm: 'RSA' });
    const nowSeconds = this.now() / 1000;
    const arn = arnOf('provisioning-profile', id);
    this.registry.transaction(() => {
      this.registry.insertCertificate({ ...claim, kind: 'claim', status: 'ACTIVE', profileName: name, thingId: null,
        createdAt: nowSeconds, updatedAt: nowSeconds });
      this.registry.insertProfile({ id, name, arn, provisioningType, claimCertificateId: claim.certificateId,
        claimCertificatePem: claim.certificatePem, claimPrivateKeyPem: claim.privateKeyPem, createdAt: nowSeconds });
    });
    await this.policyChanged();
    return { Arn: arn, ClaimCertificate: claim.certificatePem, ClaimCertificatePrivateKey: claim.privateKeyPem,
      Id: id, Name: name, ProvisioningType: provisioningType };
  }

  getProvisioningProfile(identifier: string): { Arn: string; ClaimCertificate: string; Id: string; Name: string;
    ProvisioningType: string } {
    const p = this.registry.getProfile(identifier);
    if (!p) throw notFound('provisioning profile', identifier);
    return { Arn: p.arn, ClaimCertificate: p.claimCertificatePem, Id: p.id, Name: p.name,
      ProvisioningType: p.provisioningType };
  }

  listProvisioningProfiles(): { Items: { Arn: string; Id: string; Name: string; ProvisioningType: string }[] } {
    return { Items: this.registry.listProfiles().map((p) => ({ Arn: p.arn, Id: p.id, Name: p.name,
      ProvisioningType: p.provisioningType })) };
  }

  async deleteProvisioningProfile(identifier: string): Promise<void> {
    const p = this.registry.getProfile(identifier);
    if (!p) throw notFound('provisioning profile', identifier);
    this.registry.transaction(() => {
      this.registry.updateCertificate(p.claimCertificateId, { status: 'INACTIVE' }, this.now() / 1000);
      this.registry.deleteProfile(p.id);
    });
    await this.policyChanged();
    await this.endSessionsOf(p.claimCertificateId);
  }

  // ---------------------------------------------------------------- managed things

  createManagedThing(request: CreateManagedThingRequest): { Arn: string; CreatedAt: number; Id: string } {
    const role = request.Role ?? 'DEVICE';
    if (role !== 'DEVICE' && role !== 'CONTROLLER') throw invalid(`Role must be DEVICE or CONTROLLER, got ${role}`);
    const material = request.AuthenticationMaterial
      ?? (request.SerialNumber !== undefined
        ? `SN:${request.SerialNumber};UPC:${request.UniversalProductCode ?? ''};` : undefined);
    if (!material) throw invalid('AuthenticationMaterial (SN:<sn>;UPC:<upc>;) is required');
    const fields = parseAuthenticationMaterial(material);
    const serialNumber = fields.SN;
    const upc = fields.UPC;
    if (!serialNumber || !upc) {
      throw invalid(`AuthenticationMaterial must hold SN and UPC (SN:<sn>;UPC:<upc>;), got ${JSON.stringify(material)}`);
    }
    if (this.registry.findThingBySerialNumber(serialNumber)) {
      throw conflict(`a managed thing with serial number ${serialNumber} already exists`);
    }
    validateStringMap('MetaData', request.MetaData);
    validateStringMap('Tags', request.Tags);
    const id = newId();
    const nowSeconds = this.now() / 1000;
    const row: ThingRow = {
      id, arn: arnOf('managed-thing', id), role, name: request.Name ?? null, owner: request.Owner ?? null,
      authenticationMaterial: material, authenticationMaterialType: request.AuthenticationMaterialType
        ?? 'WIFI_SETUP_QR_BAR_CODE',
      serialNumber, universalProductCode: upc, internationalArticleNumber: fields.EAN ?? null,
      provisioningStatus: 'UNCLAIMED', metadata: { ...(request.MetaData ?? {}) }, tags: { ...(request.Tags ?? {}) },
      certificateId: null, createdAt: nowSeconds, updatedAt: nowSeconds, activatedAt: null,
    };
    this.registry.insertThing(row);
    this.thingChanged(id);
    return { Arn: row.arn, CreatedAt: nowSeconds, Id: id };
  }

  getManagedThing(id: string): Record<string, unknown> {
    return describeThing(this.#thing(id));
  }

  listManagedThings(filter: { OwnerFilter?: string; ProvisioningStatusFilter?: string } = {}): {
    Items: Record<string, unknown>[] } {
    return {
      Items: this.registry.listThings()
        .filter((t) => !filter.OwnerFilter || t.owner === filter.OwnerFilter)
        .filter((t) => !filter.ProvisioningStatusFilter || t.provisioningStatus === filter.ProvisioningStatusFilter)
        .map(summarizeThing),
    };
  }

  updateManagedThing(id: string, request: UpdateManagedThingRequest): void {
    const thing = this.#thing(id);
    validateStringMap('MetaData', request.MetaData);
    validateStringMap('Tags', request.Tags);
    this.registry.updateThing({
      ...thing,
      name: request.Name ?? thing.name,
      owner: request.Owner ?? thing.owner,
      metadata: request.MetaData ? { ...thing.metadata, ...request.MetaData } : thing.metadata,
      tags: request.Tags ? { ...thing.tags, ...request.Tags } : thing.tags,
      updatedAt: this.now() / 1000,
    });
    this.thingChanged(id);
  }

  async deleteManagedThing(id: string): Promise<void> {
    this.#thing(id);
    const certs = this.registry.listCertificates().filter((c) => c.thingId === id);
    const nowSeconds = this.now() / 1000;
    this.registry.transaction(() => {
      for (const cert of certs) this.registry.updateCertificate(cert.certificateId, { status: 'INACTIVE' }, nowSeconds);
      this.registry.deleteThing(id);
    });
    await this.policyChanged();
    for (const cert of certs) await this.endSessionsOf(cert.certificateId, cert.status === 'ACTIVE' ? [id] : []);
  }

  getManagedThingCapabilities(id: string): { ManagedThingId: string; Capabilities: string | null;
    CapabilityReport: unknown } {
    this.#thing(id);
    const stored = this.registry.getCapabilityReport(id);
    return { ManagedThingId: id, Capabilities: stored ? JSON.stringify(stored.report) : null,
      CapabilityReport: stored?.report ?? null };
  }

  getManagedThingState(id: string): { Endpoints: unknown[] } {
    this.#thing(id);
    return this.dataPlane.state(id);
  }

  listManagedThingEvents(id: string, kind: 'event' | 'state' = 'event'): { Items: unknown[] } {
    this.#thing(id);
    return { Items: this.registry.listReports(id, kind).map((r) => ({ ReceivedAt: r.receivedAt, Payload: r.payload })) };
  }

  sendManagedThingCommand(id: string, body: Record<string, unknown>, options: { waitMs?: number } = {})
    : Promise<SendCommandResult> {
    this.#thing(id);
    return this.dataPlane.sendCommand(id, body, options);
  }

  getCommand(traceId: string): Record<string, unknown> {
    const c = this.registry.getCommand(traceId);
    if (!c) throw notFound('command', traceId);
    return { TraceId: c.traceId, ManagedThingId: c.thingId, Status: c.status, Request: c.request,
      Response: c.response, SentAt: c.sentAt, RespondedAt: c.respondedAt };
  }

  // ---------------------------------------------------------------- certificates

  listCertificates(): { certificates: Record<string, unknown>[] } {
    return { certificates: this.registry.listCertificates().map(describeCertificate) };
  }

  describeCertificate(certificateId: string): Record<string, unknown> {
    const c = this.registry.getCertificate(certificateId);
    if (!c) throw notFound('certificate', certificateId);
    return { ...describeCertificate(c), certificatePem: c.certificatePem };
  }

  /** UpdateCertificate: ACTIVE, INACTIVE or REVOKED. Sessions of a certificate that is no longer ACTIVE end at once. */
  async updateCertificateStatus(certificateId: string, status: CertificateStatus): Promise<void> {
    const c = this.registry.getCertificate(certificateId);
    if (!c) throw notFound('certificate', certificateId);
    if (!['ACTIVE', 'INACTIVE', 'REVOKED'].includes(status)) {
      throw invalid(`newStatus must be ACTIVE, INACTIVE or REVOKED, got ${status}`);
    }
    if (c.status === 'REVOKED' && status !== 'REVOKED') throw invalid('a REVOKED certificate cannot change status');
    if (status === 'ACTIVE' && c.kind === 'device' && !c.thingId) {
      throw invalid('a device certificate becomes ACTIVE through RegisterThing');
    }
    this.registry.updateCertificate(certificateId, { status }, this.now() / 1000);
    await this.policyChanged();
    if (status !== 'ACTIVE' && c.status === 'ACTIVE') {
      // The thing name is the usual client id: also take it over when this is the thing's current certificate
      // (with mosquitto, in case its log line was missed).
      const current = c.thingId ? this.registry.getThing(c.thingId)?.certificateId === certificateId : false;
      await this.endSessionsOf(certificateId, current && c.thingId ? [c.thingId] : []);
    }
    this.emit('certificate-status', { certificateId, status });
  }

  revokeCertificate(certificateId: string): Promise<void> {
    return this.updateCertificateStatus(certificateId, 'REVOKED');
  }

  // ---------------------------------------------------------------- OTA and jobs (delegates)

  createOtaTask(request: CreateOtaTaskRequest): Promise<{ Arn: string; Description: string | null; TaskId: string }> {
    return this.ota.create(request);
  }

  #thing(id: string): ThingRow {
    const thing = this.registry.getThing(id) ?? this.registry.getThing(id.replace(/^.*managed-thing\//, ''));
    if (!thing) throw notFound('managed thing', id);
    return thing;
  }
}

function validateStringMap(field: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)
    || Object.values(value).some((v) => typeof v !== 'string')) {
    throw invalid(`${field} must be an object of string values`);
  }
}

function summarizeThing(t: ThingRow): Record<string, unknown> {
  return {
    Id: t.id, Arn: t.arn, Name: t.name ?? undefined, Owner: t.owner ?? undefined, Role: t.role,
    ProvisioningStatus: t.provisioningStatus, SerialNumber: t.serialNumber ?? undefined,
    CreatedAt: t.createdAt, UpdatedAt: t.updatedAt, ActivatedAt: t.activatedAt ?? undefined,
  };
}

function describeThing(t: ThingRow): Record<string, unknown> {
  return {
    ...summarizeThing(t),
    AuthenticationMaterial: t.authenticationMaterial,
    AuthenticationMaterialType: t.authenticationMaterialType,
    UniversalProductCode: t.universalProductCode ?? undefined,
    InternationalArticleNumber: t.internationalArticleNumber ?? undefined,
    MetaData: t.metadata,
    Tags: t.tags,
    CertificateId: t.certificateId ?? undefined,
  };
}

function describeCertificate(c: CertificateRow): Record<string, unknown> {
  return {
    certificateId: c.certificateId, certificateArn: `arn:aws:iot:${REGION}:${ACCOUNT}:cert/${c.certificateId}`,
    status: c.status, kind: c.kind, commonName: c.commonName, serialNumber: c.serialNumber,
    provisioningProfile: c.profileName ?? undefined, managedThingId: c.thingId ?? undefined,
    creationDate: c.createdAt, lastModifiedDate: c.updatedAt,
  };
}
