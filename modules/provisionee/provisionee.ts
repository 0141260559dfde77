/**
 * The provisionee: fleet provisioning by claim (the guide's "프로비저닝 담당자"). It connects with the claim
 * identity, obtains a device certificate (CreateCertificateFromCsr or CreateKeysAndCertificate), registers
 * the thing (RegisterThing), stores the device identity and reconnects with it.
 *
 * Never half-provisioned: every step is persisted (atomically) before and after each network exchange, and a
 * restart resumes from the record. Key-store invariants:
 * - `Device Cert` only ever holds a certificate the cloud has registered: a new certificate waits under
 *   `Device Cert (pending)` and is promoted after RegisterThing is accepted.
 * - `Device Key` belongs to the certificate being provisioned or provisioned; a new certificate attempt
 *   replaces it (a key pair cannot be relabelled, and without a registered certificate it opens nothing).
 * - Claim credentials (`Root Cert`, `Claim Cert`, `Claim Key`) are only read, never changed.
 */
import type { KeyType, Platform } from '../../platform/pal/index.js';
import { TransportError } from '../../platform/pal/index.js';
import { Labels, type KeyStoreApi, type ObjectClass } from '../keystore/types.js';
import type { MqttClient, MqttConnectOptions } from '../mqtt/types.js';
import { ClientClosedError, ConnectionLostError, ConnectRefusedError } from '../mqtt/errors.js';
import { buildCsr, csrToPem } from '../codec/csr.js';
import { Backoff } from '../util/backoff.js';
import { ArgumentError, TimeoutError } from '../util/errors.js';
import { certificateCommonName } from './certificate-name.js';
import type { ProvisioneeConfig } from './config.js';
import { MalformedResponseError, MissingCredentialError, ProvisioningFailedError, ProvisioningRejectedError, type FleetOperation } from './errors.js';
import { fleetRequest } from './fleet-request.js';
import { PayloadCodec } from './payloads.js';
import { ProvisioningStateStore, initialRecord, type CertificatePath, type ProvisioningRecord } from './state.js';
import { createCertificateFromCsrTopics, createKeysAndCertificateTopics, registerThingTopics, type PayloadFormat } from './topics.js';

/** Where a new certificate waits until RegisterThing accepts it. */
export const PENDING_DEVICE_CERT = 'Device Cert (pending)';

const COMPONENT = 'provisionee';
const DEFAULT_TOKEN_LIFETIME_MS = 3_600_000;
/** Start over this long before the token's hour is up: RegisterThing must reach the cloud in time. */
const TOKEN_MARGIN_MS = 120_000;
/** AWS IoT client ids are at most 128 bytes. */
const MAX_CLIENT_ID_BYTES = 128;

export interface ProvisioneeDependencies {
  platform: Platform;
  keyStore: KeyStoreApi;
  /** The device's MQTT client: the device session runs on it, and the claim session too unless `claimMqtt` is given. */
  mqtt: MqttClient;
  /**
   * A separate client for the claim session, released (disconnected) when provisioning ends. With it the device
   * session connects at once; one shared client spaces its CONNECTs (the MQTT agent sends at most one a second).
   */
  claimMqtt?: MqttClient;
}

export interface ProvisioningResult {
  thingName: string;
  clientId: string;
  certificateId: string;
  deviceConfiguration: Record<string, string>;
  path: CertificatePath;
  format: PayloadFormat;
  keyType?: KeyType;
  /** Certificate attempts the last provisioning took (1 when nothing went wrong). */
  attempts: number;
}

export interface ProvisionOptions {
  /** Connect with the device identity once provisioned (default true); the MQTT client stays connected. */
  connectDevice?: boolean;
}

export class Provisionee {
  /** Called after each persisted step (logging, tests, progress display). */
  onStep?: (record: Readonly<ProvisioningRecord>) => void;

  #platform: Platform;
  #keyStore: KeyStoreApi;
  #mqtt: MqttClient;
  #claimMqtt: MqttClient;
  #config: ProvisioneeConfig;
  #store: ProvisioningStateStore;
  #format: PayloadFormat;
  #codec: PayloadCodec;
  #claimConnected = false;

  constructor(deps: ProvisioneeDependencies, config: ProvisioneeConfig) {
    checkConfig(config);
    this.#platform = deps.platform;
    this.#keyStore = deps.keyStore;
    this.#mqtt = deps.mqtt;
    this.#claimMqtt = deps.claimMqtt ?? deps.mqtt;
    this.#config = config;
    this.#format = config.format ?? 'json';
    this.#codec = new PayloadCodec(this.#format, deps.platform.text);
    this.#store = new ProvisioningStateStore(deps.platform.storage, deps.platform.text);
  }

  /** The persisted record (step reached, thing name, …); the token is included, so do not log it. */
  status(): Promise<ProvisioningRecord> {
    return this.#store.load();
  }

  /**
   * Makes sure the device is provisioned (resuming an interrupted run) and, unless told otherwise, connects
   * with the device identity. If the broker refuses the device certificate (revoked or deleted), it
   * re-provisions once with the claim credentials and connects again.
   */
  async provision(options: ProvisionOptions = {}): Promise<ProvisioningResult> {
    let reprovisioned = false;
    for (;;) {
      const result = await this.#ensureProvisioned();
      if (options.connectDevice === false) return result;
      try {
        await this.#connectDevice(result);
        return result;
      } catch (error) {
        if (reprovisioned || !isCertificateRefused(error)) throw error;
        reprovisioned = true;
        this.#log('warn', 'device certificate refused by the broker; re-provisioning', { error: (error as Error).message });
        await this.#startOver(`certificate-refused: ${(error as Error).message}`);
      }
    }
  }

  /** Drops the device identity (the claim credentials stay) and provisions again. */
  async reprovision(reason = 'explicit', options: ProvisionOptions = {}): Promise<ProvisioningResult> {
    if (this.#mqtt.connected) await this.#mqtt.disconnect().catch(() => undefined);
    await this.#startOver(reason);
    return this.provision(options);
  }

  /** The MQTT connect options of the device identity, for whoever owns the connection next (the agent). */
  deviceConnectOptions(result: Pick<ProvisioningResult, 'clientId'>): MqttConnectOptions {
    return {
      ...this.#config.connect,
      host: this.#config.endpoint.host,
      port: this.#config.endpoint.port,
      clientId: result.clientId,
      tls: this.#tls(Labels.deviceCert, Labels.deviceKey),
    };
  }

  async #ensureProvisioned(): Promise<ProvisioningResult> {
    let record = await this.#store.load();
    if (record.step === 'provisioned') {
      if ((await this.#exists(Labels.deviceCert, 'certificate')) && (await this.#exists(Labels.deviceKey, 'private-key'))) {
        return resultOf(record);
      }
      this.#log('warn', 'provisioned, but the device credentials are gone; provisioning again');
      record = await this.#startOver('device credentials missing');
    }
    await this.#requireClaimCredentials();
    await this.#waitForNetwork();
    const backoff = new Backoff(this.#platform.random, { baseMs: 1000, capMs: 60_000, ...this.#config.backoff });
    for (let tries = 1; ; tries++) {
      try {
        record = await this.#advance(record);
        return resultOf(record);
      } catch (error) {
        await this.#endClaimSession();
        if (!isRetryable(error)) throw error;
        const delay = backoff.next();
        if (delay === undefined) throw new ProvisioningFailedError(tries, error as Error);
        record = await this.#store.load();
        if (error instanceof ProvisioningRejectedError && error.remedy === 'new-certificate') {
          record = await this.#save({ ...record, step: 'idle' });
        }
        this.#log('warn', 'provisioning step failed; retrying', { step: record.step, error: (error as Error).message, delayMs: delay });
        await this.#sleep(delay);
      }
    }
  }

  /** Runs the steps from the record's one until provisioned. */
  async #advance(start: ProvisioningRecord): Promise<ProvisioningRecord> {
    let record = start;
    while (record.step !== 'provisioned') {
      switch (record.step) {
        case 'idle':
        case 'certificate-requested':
          record = await this.#requestCertificate(record);
          break;
        case 'certificate-received':
        case 'register-requested':
          record = (await this.#canRegister(record)) ? await this.#registerThing(record) : await this.#save({ ...record, step: 'idle' });
          break;
        case 'registered':
          record = await this.#promote(record);
          break;
      }
    }
    await this.#endClaimSession();
    return record;
  }

  async #requestCertificate(previous: ProvisioningRecord): Promise<ProvisioningRecord> {
    const { path, keyType } = this.#choosePath();
    let record = await this.#save({
      version: 1,
      step: 'certificate-requested',
      attempt: previous.attempt + 1,
      path,
      format: this.#format,
      ...(keyType ? { keyType } : {}),
      ...(previous.reprovisionReason ? { reprovisionReason: previous.reprovisionReason } : {}),
    });
    await this.#discardDeviceCredentials();
    let operation: FleetOperation;
    let payload: Uint8Array;
    if (path === 'csr') {
      operation = 'CreateCertificateFromCsr';
      await this.#keyStore.generateKeyPair(Labels.deviceKey, keyType!);
      const subject = { commonName: this.#config.device.serialNumber, ...this.#config.csrSubject };
      const csr = await buildCsr({ keyStore: this.#keyStore, keyLabel: Labels.deviceKey, keyType: keyType!, subject, text: this.#platform.text });
      payload = this.#codec.createFromCsrRequest(csrToPem(csr));
    } else {
      operation = 'CreateKeysAndCertificate';
      payload = this.#codec.createKeysRequest();
    }
    await this.#claimSession();
    const topics = path === 'csr' ? createCertificateFromCsrTopics(this.#format) : createKeysAndCertificateTopics(this.#format);
    const answer = await this.#request(operation, topics, payload);
    const accepted = this.#codec.certificateAccepted(operation, answer);
    await this.#keyStore.putCertificate(PENDING_DEVICE_CERT, accepted.certificatePem);
    if (accepted.privateKey !== undefined) {
      await this.#keyStore.putPrivateKey(Labels.deviceKey, accepted.privateKey);
    } else if (!equalBytes(await this.#keyStore.getPublicKey(PENDING_DEVICE_CERT), await this.#keyStore.getPublicKey(Labels.deviceKey))) {
      throw new MalformedResponseError(operation, 'the certificate does not carry the public key of the CSR');
    }
    const clock = this.#platform.clock;
    record = await this.#save({
      ...record,
      step: 'certificate-received',
      certificateId: accepted.certificateId,
      ownershipToken: accepted.certificateOwnershipToken,
      ...(clock.synchronized ? { tokenReceivedAt: clock.now() } : {}),
    });
    return record;
  }

  /** A staged certificate with a token that is still young enough; otherwise the attempt is abandoned. */
  async #canRegister(record: ProvisioningRecord): Promise<boolean> {
    const lifetime = this.#config.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS;
    const clock = this.#platform.clock;
    if (record.tokenReceivedAt !== undefined && clock.synchronized && clock.now() - record.tokenReceivedAt > lifetime - Math.min(TOKEN_MARGIN_MS, lifetime / 10)) {
      this.#log('info', 'ownership token too old; requesting a new certificate', { certificateId: record.certificateId });
      return false;
    }
    if (!record.ownershipToken || !(await this.#exists(PENDING_DEVICE_CERT, 'certificate')) || !(await this.#exists(Labels.deviceKey, 'private-key'))) {
      this.#log('warn', 'staged certificate incomplete; requesting a new certificate', { step: record.step });
      return false;
    }
    return true;
  }

  async #registerThing(previous: ProvisioningRecord): Promise<ProvisioningRecord> {
    const record = await this.#save({ ...previous, step: 'register-requested' });
    const { device, extraParameters } = this.#config;
    const parameters: Record<string, string> = { ...extraParameters, SerialNumber: device.serialNumber, UPC: device.upc };
    if (device.ean !== undefined) parameters['EAN'] = device.ean;
    await this.#claimSession();
    const answer = await this.#request(
      'RegisterThing',
      registerThingTopics(this.#config.templateName, this.#format),
      this.#codec.registerThingRequest({ certificateOwnershipToken: record.ownershipToken!, parameters }),
    );
    const { thingName, deviceConfiguration } = this.#codec.registerThingAccepted(answer);
    const clientId = await this.#clientIdFor(thingName);
    return this.#save({ ...record, step: 'registered', thingName, deviceConfiguration, clientId });
  }

  /** Moves the registered certificate to `Device Cert`; idempotent, so a restart halfway is harmless. */
  async #promote(previous: ProvisioningRecord): Promise<ProvisioningRecord> {
    if (await this.#exists(PENDING_DEVICE_CERT, 'certificate')) {
      await this.#keyStore.putCertificate(Labels.deviceCert, await this.#keyStore.getCertificate(PENDING_DEVICE_CERT));
      await this.#keyStore.destroy(PENDING_DEVICE_CERT, 'certificate');
    } else if (!(await this.#exists(Labels.deviceCert, 'certificate'))) {
      this.#log('warn', 'registered certificate lost before promotion; requesting a new one');
      return this.#save({ ...previous, step: 'idle' });
    }
    const { ownershipToken: _token, tokenReceivedAt: _at, reprovisionReason: _why, ...kept } = previous;
    const record = await this.#save({ ...kept, step: 'provisioned' });
    this.#log('info', 'provisioned', { thingName: record.thingName, clientId: record.clientId, certificateId: record.certificateId });
    return record;
  }

  async #request(operation: FleetOperation, topics: { request: string; accepted: string; rejected: string }, payload: Uint8Array): Promise<Uint8Array> {
    const timeoutMs = this.#config.responseTimeoutMs ?? 30_000;
    const answer = await fleetRequest(this.#claimMqtt, this.#platform.timers, operation, topics, payload, timeoutMs);
    if (!answer.accepted) throw this.#codec.rejected(operation, answer.payload);
    return answer.payload;
  }

  async #clientIdFor(thingName: string): Promise<string> {
    let clientId = thingName;
    if (this.#config.clientIdScheme === 'common-name-serial') {
      const commonName = certificateCommonName(await this.#keyStore.getCertificate(PENDING_DEVICE_CERT), this.#platform.text);
      if (commonName === undefined) throw new MalformedResponseError('RegisterThing', 'the device certificate has no common name for the client id');
      clientId = `${commonName}_${this.#config.device.serialNumber}`;
    }
    const bytes = this.#platform.text.encode(clientId).length;
    if (bytes === 0 || bytes > MAX_CLIENT_ID_BYTES) throw new ArgumentError(`expected a client id of 1..${MAX_CLIENT_ID_BYTES} bytes, got ${bytes}`);
    return clientId;
  }

  #choosePath(): { path: CertificatePath; keyType?: KeyType } {
    const requested = this.#config.certificatePath ?? 'auto';
    const generatable = this.#platform.keyStoreBackend.generatableKeyTypes;
    const tlsTypes = this.#config.tlsClientKeyTypes ?? ['EC-P256', 'RSA-2048'];
    const keyType = this.#config.keyType ?? tlsTypes.find((t) => generatable.includes(t));
    if (requested === 'create-keys') return { path: 'create-keys' };
    if (keyType && generatable.includes(keyType) && tlsTypes.includes(keyType)) return { path: 'csr', keyType };
    if (requested === 'csr') {
      throw new ArgumentError(`certificatePath csr needs a key type the key store can generate (${generatable.join(', ') || 'none'}) and TLS can use (${tlsTypes.join(', ')}); got ${keyType ?? 'none'}`);
    }
    return { path: 'create-keys' };
  }

  async #startOver(reason: string): Promise<ProvisioningRecord> {
    const record = await this.#save({ ...initialRecord(), reprovisionReason: reason });
    await this.#discardDeviceCredentials();
    return record;
  }

  /** Removes every device credential, staged or not; claim credentials are untouched. */
  async #discardDeviceCredentials(): Promise<void> {
    for (const label of [PENDING_DEVICE_CERT, Labels.deviceCert, Labels.deviceKey]) {
      const found = await this.#keyStore.find({ label });
      for (const object of found) await this.#keyStore.destroy(label, object.class);
    }
  }

  async #requireClaimCredentials(): Promise<void> {
    const needed: [string, ObjectClass][] = [
      [Labels.rootCert, 'certificate'],
      [Labels.claimCert, 'certificate'],
      [Labels.claimKey, 'private-key'],
    ];
    for (const [label, cls] of needed) if (!(await this.#exists(label, cls))) throw new MissingCredentialError(label);
  }

  async #exists(label: string, objectClass: ObjectClass): Promise<boolean> {
    return (await this.#keyStore.find({ label, class: objectClass })).length > 0;
  }

  async #claimSession(): Promise<void> {
    if (this.#claimConnected && this.#claimMqtt.connected) return;
    const serial = this.#config.device.serialNumber;
    await this.#claimMqtt.connect({
      reconnect: { enabled: false },
      ...this.#config.connect,
      host: this.#config.endpoint.host,
      port: this.#config.endpoint.port,
      clientId: this.#config.claimClientId ?? `${serial}-claim`,
      tls: this.#tls(Labels.claimCert, Labels.claimKey),
      cleanSession: true,
    });
    this.#claimConnected = true;
  }

  async #endClaimSession(): Promise<void> {
    if (!this.#claimConnected) return;
    this.#claimConnected = false;
    await this.#claimMqtt.disconnect().catch(() => undefined);
  }

  async #connectDevice(result: ProvisioningResult): Promise<void> {
    await this.#waitForNetwork();
    await this.#mqtt.connect(this.deviceConnectOptions(result));
  }

  #tls(certificateLabel: string, privateKeyLabel: string) {
    const { serverName, alpn } = this.#config.endpoint;
    return { caLabel: Labels.rootCert, certificateLabel, privateKeyLabel, ...(serverName ? { serverName } : {}), ...(alpn ? { alpn } : {}) };
  }

  async #waitForNetwork(): Promise<void> {
    const wifi = this.#platform.wifi;
    if (wifi.status === 'got-ip') return;
    this.#log('info', 'waiting for the network', { status: wifi.status });
    await new Promise<void>((resolve) => {
      const off = wifi.onChanged((status) => {
        if (status !== 'got-ip') return;
        off();
        resolve();
      });
      if (wifi.status === 'got-ip') {
        off();
        resolve();
      }
    });
  }

  async #save(record: ProvisioningRecord): Promise<ProvisioningRecord> {
    await this.#store.save(record);
    this.#log('debug', 'step', { step: record.step, attempt: record.attempt });
    this.onStep?.(record);
    return record;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#platform.timers.set(resolve, ms));
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
    this.#platform.log.log(level, COMPONENT, message, fields);
  }
}

/** Provisions (or resumes) and connects with the device identity: the one-call form of `Provisionee`. */
export function provision(deps: ProvisioneeDependencies, config: ProvisioneeConfig, options?: ProvisionOptions): Promise<ProvisioningResult> {
  return new Provisionee(deps, config).provision(options);
}

function resultOf(record: ProvisioningRecord): ProvisioningResult {
  return {
    thingName: record.thingName!,
    clientId: record.clientId!,
    certificateId: record.certificateId!,
    deviceConfiguration: record.deviceConfiguration ?? {},
    path: record.path!,
    format: record.format!,
    ...(record.keyType ? { keyType: record.keyType } : {}),
    attempts: record.attempt,
  };
}

/**
 * The broker will not take this certificate: revoked, deleted, inactive, or unknown to it. Under TLS 1.3 the
 * refusal arrives after the handshake, so it may come wrapped as the cause of a lost connection.
 */
export function isCertificateRefused(error: unknown): boolean {
  if (error instanceof TransportError) return error.code === 'certificate-rejected';
  if (error instanceof ConnectRefusedError) return [4, 5, 7, 0x86, 0x87].includes(error.returnCode);
  if (error instanceof ConnectionLostError) return isCertificateRefused(error.cause);
  // The MQTT client gave up reconnecting because of it.
  if (error instanceof ClientClosedError) return isCertificateRefused(error.cause);
  return false;
}

/** Failures retrying can help: network trouble, timeouts, throttling, a busy cloud, a stale token. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ProvisioningRejectedError) return error.retryable;
  if (error instanceof TransportError) return error.code !== 'certificate-untrusted' && error.code !== 'certificate-name-mismatch';
  if (error instanceof ConnectRefusedError) return error.returnCode === 3 || error.returnCode === 0x88 || error.returnCode === 0x89;
  return error instanceof TimeoutError || error instanceof ConnectionLostError || error instanceof ClientClosedError || error instanceof MalformedResponseError;
}

function checkConfig(config: ProvisioneeConfig): void {
  const { serialNumber, upc } = config.device ?? {};
  if (typeof serialNumber !== 'string' || serialNumber.length === 0) throw new ArgumentError('expected device.serialNumber to be a non-empty string');
  if (typeof upc !== 'string' || upc.length === 0) throw new ArgumentError('expected device.upc to be a non-empty string');
  if (!config.endpoint || typeof config.endpoint.host !== 'string' || !Number.isInteger(config.endpoint.port)) {
    throw new ArgumentError('expected endpoint { host, port }');
  }
  registerThingTopics(config.templateName, 'json'); // validates the template name
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
