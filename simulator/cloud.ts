import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { CloudBroker } from './broker.js';
import { EmbeddedBroker } from './broker-embedded.js';
import type { KeyAlgorithm } from './ca.js';
import { CloudCore, type CloudEvents, type CreateManagedThingRequest } from './core.js';
import type { SendCommandResult } from './data-plane.js';
import { TimeoutError } from '../modules/util/errors.js';
import { createRequestHandler } from './http-api.js';
import type { CreateJobRequest } from './jobs.js';
import type { CreateOtaTaskRequest } from './ota.js';
import type { CertificateStatus } from './registry.js';

export interface StartCloudOptions {
  /** Where everything lives: registry.db, ca/, firmware/, mosquitto/, cloud.json. */
  dataDir: string;
  /** MQTT over TLS port; 0 (default) picks a free one. */
  mqttPort?: number;
  /** HTTP API and firmware port; 0 (default) picks a free one. */
  httpPort?: number;
  /** HTTPS (same routes, server certificate from the local CA); 0 (default) picks a free one. */
  httpsPort?: number;
  broker?: 'embedded' | 'mosquitto';
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Directory the firmware server serves at /firmware/ (default `<dataDir>/firmware`). */
  firmwareDir?: string;
  /** Key type CreateKeysAndCertificate generates: 'RSA' (2048, default, as AWS) or 'EC' (P-256). */
  deviceKeyAlgorithm?: KeyAlgorithm;
  /** Certificate ownership token lifetime (default one hour, as AWS). */
  ownershipTokenTtlMs?: number;
  /** Length of one "minute" of job step/in-progress timeouts (default 60000; tests shorten it). */
  jobsMinuteMs?: number;
  /** Clock in epoch ms (default Date.now); tests move it forward to expire ownership tokens. */
  now?: () => number;
  /** Path of the mosquitto binary (default /usr/sbin/mosquitto). */
  mosquittoPath?: string;
  /** Write `<dataDir>/cloud.json` so the CLI finds this cloud (default true). */
  writeCloudJson?: boolean;
}

/** The shape of `<dataDir>/cloud.json` and of the line `mi-cloud start` prints. */
export interface CloudAddresses { mqtt: string; http: string; https: string; ca: string; broker: string; pid: number }

/**
 * A running local managed-integrations cloud: broker (MQTT over TLS with client certificates), fleet
 * provisioning, data plane, jobs and OTA, the HTTP API and the firmware server. Method names follow the
 * AWS operations; results use the AWS response field names.
 */
export class Cloud {
  readonly core: CloudCore;
  readonly broker: CloudBroker;
  readonly host: string;
  readonly dataDir: string;
  readonly firmwareDir: string;
  readonly #http: HttpServer;
  readonly #https: HttpServer;
  readonly #writeCloudJson: boolean;
  #stopped = false;

  private constructor(parts: { core: CloudCore; broker: CloudBroker; host: string; dataDir: string;
    firmwareDir: string; http: HttpServer; https: HttpServer; writeCloudJson: boolean }) {
    this.core = parts.core;
    this.broker = parts.broker;
    this.host = parts.host;
    this.dataDir = parts.dataDir;
    this.firmwareDir = parts.firmwareDir;
    this.#http = parts.http;
    this.#https = parts.https;
    this.#writeCloudJson = parts.writeCloudJson;
  }

  static async start(options: StartCloudOptions): Promise<Cloud> {
    const dataDir = resolve(options.dataDir);
    const host = options.host ?? '127.0.0.1';
    const firmwareDir = resolve(options.firmwareDir ?? join(dataDir, 'firmware'));
    mkdirSync(firmwareDir, { recursive: true });
    const core = await CloudCore.open({
      dataDir,
      ...(options.deviceKeyAlgorithm ? { deviceKeyAlgorithm: options.deviceKeyAlgorithm } : {}),
      ...(options.ownershipTokenTtlMs !== undefined ? { ownershipTokenTtlMs: options.ownershipTokenTtlMs } : {}),
      ...(options.jobsMinuteMs !== undefined ? { jobsMinuteMs: options.jobsMinuteMs } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    const resolveIdentity = (certificateId: string) => core.resolveIdentity(certificateId);
    let broker: CloudBroker;
    try {
      // Loaded on demand: mosquitto mode needs MQTT.js, the embedded broker does not.
      broker = options.broker === 'mosquitto'
        ? await (await import('./broker-mosquitto.js')).MosquittoBroker.start({ host, port: options.mqttPort ?? 0, dataDir, core,
          ...(options.mosquittoPath ? { mosquittoPath: options.mosquittoPath } : {}) })
        : await EmbeddedBroker.start({ host, port: options.mqttPort ?? 0, key: core.ca.serverKeyPem,
          cert: core.ca.serverCertPem, ca: core.ca.caPem, resolve: resolveIdentity });
    } catch (error) {
      await core.close();
      throw error;
    }
    core.attach(broker);
    const handler = createRequestHandler(core, firmwareDir, host);
    const http = createHttpServer(handler);
    const https = createHttpsServer({ key: core.ca.serverKeyPem, cert: core.ca.serverCertPem }, handler);
    try {
      await listen(http, options.httpPort ?? 0, host);
      await listen(https, options.httpsPort ?? 0, host);
    } catch (error) {
      // e.g. the HTTP port is taken: undo what already runs, so nothing outlives the failed start
      if (http.listening) await closeServer(http);
      await broker.close();
      await core.close();
      throw error;
    }
    const cloud = new Cloud({ core, broker, host, dataDir, firmwareDir, http, https,
      writeCloudJson: options.writeCloudJson ?? true });
    if (cloud.#writeCloudJson) {
      writeFileSync(join(dataDir, 'cloud.json'), JSON.stringify(cloud.addresses(), null, 2) + '\n');
    }
    await core.expireOwnershipTokens();
    await core.ota.reevaluate();
    return cloud;
  }

  get mqttPort(): number { return this.broker.port; }
  get httpPort(): number { return (this.#http.address() as AddressInfo).port; }
  get httpsPort(): number { return (this.#https.address() as AddressInfo).port; }
  get mqttUrl(): string { return `mqtts://${this.host}:${this.mqttPort}`; }
  get httpUrl(): string { return `http://${this.host}:${this.httpPort}`; }
  get httpsUrl(): string { return `https://${this.host}:${this.httpsPort}`; }
  /** The local root CA (PEM file path and text): devices trust it as their "Root Cert". */
  get caPath(): string { return this.core.ca.caPath; }
  get caPem(): string { return this.core.ca.caPem; }

  addresses(): CloudAddresses {
    return { mqtt: this.mqttUrl, http: this.httpUrl, https: this.httpsUrl, ca: this.caPath, broker: this.broker.kind,
      pid: process.pid };
  }

  /** URL of a file in the firmware directory (HTTP, or HTTPS with the local CA). */
  firmwareUrl(name: string, secure = false): string {
    return `${secure ? this.httpsUrl : this.httpUrl}/firmware/${encodeURIComponent(name)}`;
  }

  // ------------------------------------------------------------------ events

  on<K extends keyof CloudEvents>(event: K, listener: (data: CloudEvents[K]) => void): this {
    this.core.on(event, listener);
    return this;
  }

  off<K extends keyof CloudEvents>(event: K, listener: (data: CloudEvents[K]) => void): this {
    this.core.off(event, listener);
    return this;
  }

  /** Resolves with the first `event` whose data satisfies `predicate`; rejects with TimeoutError after `timeoutMs`. */
  waitFor<K extends keyof CloudEvents>(event: K, predicate: (data: CloudEvents[K]) => boolean = () => true,
    timeoutMs = 10_000): Promise<CloudEvents[K]> {
    return new Promise((resolvePromise, reject) => {
      const listener = (data: CloudEvents[K]) => {
        if (!predicate(data)) return;
        clearTimeout(timer);
        this.core.off(event, listener);
        resolvePromise(data);
      };
      const timer = setTimeout(() => {
        this.core.off(event, listener);
        reject(new TimeoutError(`waiting for cloud event '${event}'`, timeoutMs));
      }, timeoutMs);
      this.core.on(event, listener);
    });
  }

  // ------------------------------------------------------------------ operations

  createProvisioningProfile(request: { name?: string; Name?: string; ProvisioningType?: string }) {
    return this.core.createProvisioningProfile({ Name: (request.Name ?? request.name)!,
      ...(request.ProvisioningType ? { ProvisioningType: request.ProvisioningType } : {}) });
  }

  getProvisioningProfile(nameOrId: string) { return this.core.getProvisioningProfile(nameOrId); }
  listProvisioningProfiles() { return this.core.listProvisioningProfiles(); }
  deleteProvisioningProfile(nameOrId: string) { return this.core.deleteProvisioningProfile(nameOrId); }

  /** CreateManagedThing with Role DEVICE and AuthenticationMaterial `SN:<serialNumber>;UPC:<upc>;`. */
  createManagedThing(request: { serialNumber: string; upc: string; ean?: string; metadata?: Record<string, string>;
    name?: string; owner?: string; role?: 'DEVICE' | 'CONTROLLER'; tags?: Record<string, string> }
    | CreateManagedThingRequest): { Arn: string; CreatedAt: number; Id: string } {
    if ('serialNumber' in request) {
      return this.core.createManagedThing({
        Role: request.role ?? 'DEVICE',
        AuthenticationMaterial: `SN:${request.serialNumber};UPC:${request.upc};${request.ean ? `EAN:${request.ean};` : ''}`,
        AuthenticationMaterialType: 'WIFI_SETUP_QR_BAR_CODE',
        ...(request.metadata ? { MetaData: request.metadata } : {}),
        ...(request.name ? { Name: request.name } : {}),
        ...(request.owner ? { Owner: request.owner } : {}),
        ...(request.tags ? { Tags: request.tags } : {}),
      });
    }
    return this.core.createManagedThing(request);
  }

  getManagedThing(id: string) { return this.core.getManagedThing(id); }
  listManagedThings() { return this.core.listManagedThings(); }

  /** UpdateManagedThing: metadata (merged), name, owner. */
  updateManagedThing(id: string, request: { metadata?: Record<string, string>; name?: string; owner?: string;
    MetaData?: Record<string, string>; Name?: string; Owner?: string }): void {
    const metadata = request.MetaData ?? request.metadata;
    const name = request.Name ?? request.name;
    const owner = request.Owner ?? request.owner;
    this.core.updateManagedThing(id, { ...(metadata ? { MetaData: metadata } : {}), ...(name ? { Name: name } : {}),
      ...(owner ? { Owner: owner } : {}) });
  }

  deleteManagedThing(id: string) { return this.core.deleteManagedThing(id); }
  getCapabilities(id: string) { return this.core.getManagedThingCapabilities(id); }
  getState(id: string) { return this.core.getManagedThingState(id); }
  listEvents(id: string) { return this.core.listManagedThingEvents(id, 'event'); }
  listStateReports(id: string) { return this.core.listManagedThingEvents(id, 'state'); }
  requestCapabilityReport(id: string) { this.core.getManagedThing(id); return this.core.dataPlane.requestCapabilityReport(id); }

  /** SendManagedThingCommand; with `waitMs` also waits for the device's response (CommandTimeoutError after it). */
  sendCommand(id: string, body: Record<string, unknown>, options: { waitMs?: number } = {}): Promise<SendCommandResult> {
    return this.core.sendManagedThingCommand(id, body, options);
  }

  getCommand(traceId: string) { return this.core.getCommand(traceId); }

  createOtaTask(request: CreateOtaTaskRequest) { return this.core.createOtaTask(request); }
  getOtaTask(taskId: string) { return this.core.ota.get(taskId); }
  listOtaTasks() { return this.core.ota.list(); }
  cancelOtaTask(taskId: string) { return this.core.ota.cancel(taskId); }
  listOtaTaskExecutions(taskId: string) { return this.core.ota.listExecutions(taskId); }

  /** A plain IoT job (what an OTA task creates underneath), for tests of the jobs agent. */
  createJob(request: CreateJobRequest) { return this.core.jobs.createJob(request); }
  describeJob(jobId: string) { return this.core.jobs.describeJob(jobId); }
  cancelJob(jobId: string) { return this.core.jobs.cancelJob(jobId); }

  listCertificates() { return this.core.listCertificates(); }
  describeCertificate(certificateId: string) { return this.core.describeCertificate(certificateId); }
  updateCertificateStatus(certificateId: string, status: CertificateStatus) {
    return this.core.updateCertificateStatus(certificateId, status);
  }
  revokeCertificate(certificateId: string) { return this.core.revokeCertificate(certificateId); }

  /** Stops the broker and the HTTP servers and closes the registry; all state stays in dataDir. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#http.closeAllConnections?.();
    this.#https.closeAllConnections?.();
    await Promise.all([closeServer(this.#http), closeServer(this.#https), this.broker.close()]);
    await this.core.close();
    if (this.#writeCloudJson) rmSync(join(this.dataDir, 'cloud.json'), { force: true });
  }
}

function listen(server: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePromise());
  });
}

function closeServer(server: HttpServer): Promise<void> {
  return new Promise((resolvePromise) => server.close(() => resolvePromise()));
}
