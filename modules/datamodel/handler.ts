/**
 * The data-model handler: owns the endpoints, takes command requests off the control topic, runs them
 * through the dispatcher and publishes the one response; reports properties and events; publishes the
 * capability report. It talks to the cloud only through an MqttClient (modules/mqtt/types.ts).
 */
import type { Clock, KeyValueStorage, Logger, TextCodec, Timers } from '../../platform/pal/index.js';
import type { MqttClient, InboundMessage, QoS } from '../mqtt/types.js';
import type { ClusterMetadata } from './metadata.js';
import type { ClusterHandlers, DataModelRuntime, EndpointHandle, ReportOptions } from './runtime-api.js';
import { ArgumentError } from '../util/errors.js';
import { BoundedQueue } from '../util/bounded-queue.js';
import { Endpoint, RegisteredCluster } from './endpoint.js';
import { RegistrationError, ValueError } from './errors.js';
import { Dispatcher } from './dispatch.js';
import { Reporter, type ReporterCounters } from './reporter.js';
import { EventNumbers } from './event-numbers.js';
import { buildCapabilityReport, type CapabilityReport } from './capability-report.js';
import { resolveDataTopics, type DataTopicTemplates, type DataTopics } from './topics.js';
import { encodeFields, encodeNullable } from './values.js';

export interface DataModelPlatform {
  timers: Timers;
  clock: Clock;
  text: TextCodec;
  log: Logger;
  storage: KeyValueStorage;
}

/** Tunables of the data-model handler; every field has a default (see DATA_MODEL_DEFAULTS). */
export interface DataModelOptions {
  /** Node id in responses, reports and the capability report. Default "1". */
  nodeId?: string;
  /** managedThingId in responses and reports (the request's own is echoed when present). */
  managedThingId?: string;
  topics?: Partial<DataTopicTemplates>;
  /** Largest command accepted and message published, in UTF-8 bytes. Default 131,072 (AWS IoT's 128 KB). */
  maxMessageBytes?: number;
  /** Endpoints per device (managed integrations: 40). */
  maxEndpoints?: number;
  /** Capabilities per endpoint (managed integrations: 50). */
  maxCapabilitiesPerEndpoint?: number;
  /** Requests waiting while one is being handled; beyond it, requests are answered 503. Default 8. */
  commandQueueSize?: number;
  /** Longest an async callback may take before its action is answered 500. Default 5,000 ms. */
  callbackTimeoutMs?: number;
  /** Per-callback timeouts in ms, keyed `<ClusterName>.<method>`, e.g. `{ 'DoorLock.unlockDoor': 15_000 }`. */
  callbackTimeouts?: Record<string, number>;
  /** Property changes within this window go out as one state message. Default 500 ms. */
  reportWindowMs?: number;
  /** Events held while offline (oldest dropped beyond). Default 64. */
  eventQueueSize?: number;
  /** Event numbers reserved per storage write. Default 64. */
  eventNumberBlock?: number;
  /** QoS of everything the handler publishes. Default 1. */
  qos?: QoS;
}

export const DATA_MODEL_DEFAULTS = Object.freeze({
  nodeId: '1',
  maxMessageBytes: 131_072,
  maxEndpoints: 40,
  maxCapabilitiesPerEndpoint: 50,
  commandQueueSize: 8,
  callbackTimeoutMs: 5_000,
  reportWindowMs: 500,
  eventQueueSize: 64,
  eventNumberBlock: 64,
  qos: 1 as QoS,
});

export interface DataModelCounters {
  commandsReceived: number;
  responsesSent: number;
  /** Dropped, logged: not UTF-8 JSON. */
  droppedMalformed: number;
  /** Dropped, logged: larger than maxMessageBytes. */
  droppedOversized: number;
  /** Answered 503 because the command queue was full. */
  rejectedBusy: number;
  responseFailures: number;
  capabilityReports: number;
}

type Json = Record<string, unknown>;

interface QueuedRequest {
  request: unknown;
  receivedAt: number;
}

/** Epoch seconds with millisecond decimals, as the seed writes them: "1684911358.533". */
export function epochSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export class DataModelHandler implements DataModelRuntime {
  readonly options: Required<Omit<DataModelOptions, 'managedThingId' | 'topics' | 'callbackTimeouts'>> &
    Pick<DataModelOptions, 'managedThingId' | 'topics' | 'callbackTimeouts'>;
  readonly counters: DataModelCounters = {
    commandsReceived: 0,
    responsesSent: 0,
    droppedMalformed: 0,
    droppedOversized: 0,
    rejectedBusy: 0,
    responseFailures: 0,
    capabilityReports: 0,
  };
  #platform: DataModelPlatform;
  #endpoints = new Map<string, Endpoint>();
  #dispatcher: Dispatcher;
  #reporter: Reporter;
  #eventNumbers: EventNumbers;
  #queue: BoundedQueue<QueuedRequest>;
  #busy = false;
  #mqtt: MqttClient | undefined;
  #topics: DataTopics | undefined;
  #removeListener: (() => void) | undefined;
  #onControl = (m: InboundMessage) => this.#onControlMessage(m);
  #onSetup = () => {
    void this.publishCapabilityReport().catch((error: unknown) => this.#log('warn', `capability report failed: ${(error as Error).message}`));
  };
  #closed = false;

  constructor(platform: DataModelPlatform, options: DataModelOptions = {}) {
    this.#platform = platform;
    const o = { ...DATA_MODEL_DEFAULTS, ...stripUndefined(options) };
    this.options = o;
    for (const key of ['maxMessageBytes', 'maxEndpoints', 'maxCapabilitiesPerEndpoint', 'commandQueueSize', 'callbackTimeoutMs', 'eventQueueSize', 'eventNumberBlock'] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 1) throw new ArgumentError(`expected ${key} to be a positive integer, got ${o[key]}`);
    }
    if (!(o.reportWindowMs >= 0)) throw new ArgumentError(`expected reportWindowMs >= 0, got ${o.reportWindowMs}`);
    this.#queue = new BoundedQueue('command', o.commandQueueSize);
    this.#eventNumbers = new EventNumbers(platform.storage, platform.text, o.eventNumberBlock);
    this.#eventNumbers.onDurable = () => this.#reporter.flush();
    this.#eventNumbers.onError = (error) => this.#log('error', `event number reservation failed: ${(error as Error).message}`);
    this.#dispatcher = new Dispatcher({
      timers: platform.timers,
      callbackTimeoutMs: o.callbackTimeoutMs,
      ...(o.callbackTimeouts ? { callbackTimeouts: o.callbackTimeouts } : {}),
      findEndpoint: (id) => this.#endpoints.get(id),
    });
    this.#reporter = new Reporter({
      timers: platform.timers,
      clock: platform.clock,
      log: platform.log,
      eventNumbers: this.#eventNumbers,
      windowMs: o.reportWindowMs,
      eventQueueSize: o.eventQueueSize,
      maxMessageBytes: o.maxMessageBytes,
      nodeId: o.nodeId,
      managedThingId: () => this.options.managedThingId,
      online: () => this.#mqtt?.connected === true && this.#topics !== undefined,
      publish: (kind, message) => this.#publish(kind === 'state' ? this.#topics!.state : this.#topics!.events, message),
      encodedSize: (message) => this.#platform.text.encode(JSON.stringify(message)).length,
    });
  }

  get reportCounters(): Readonly<ReporterCounters> {
    return this.#reporter.counters;
  }

  get pendingEvents(): number {
    return this.#reporter.pendingEvents;
  }

  get pendingProperties(): number {
    return this.#reporter.pendingProperties;
  }

  get topics(): DataTopics | undefined {
    return this.#topics;
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
    this.#platform.log.log(level, 'datamodel', message, fields);
  }

  /** Loads the persisted event-number mark; call once before emitting events. */
  async load(): Promise<void> {
    if (!this.#eventNumbers.loaded) await this.#eventNumbers.load();
  }

  // ---- endpoints and clusters ----

  addEndpoint(id: string, name: string, deviceTypes: readonly string[]): EndpointHandle {
    if (this.#closed) throw new RegistrationError('the data-model handler is closed');
    if (this.#endpoints.has(id)) throw new RegistrationError(`endpoint ${id} already exists`);
    if (this.#endpoints.size >= this.options.maxEndpoints) {
      throw new RegistrationError(`the device already has ${this.options.maxEndpoints} endpoints (the limit)`);
    }
    const endpoint = new Endpoint(this, id, name, deviceTypes, { maxCapabilitiesPerEndpoint: this.options.maxCapabilitiesPerEndpoint });
    this.#endpoints.set(endpoint.id, endpoint);
    return endpoint;
  }

  get endpoints(): readonly EndpointHandle[] {
    return [...this.#endpoints.values()];
  }

  #own(handle: EndpointHandle): Endpoint {
    const endpoint = this.#endpoints.get(handle?.id);
    if (!endpoint || endpoint !== handle) throw new ArgumentError(`endpoint ${JSON.stringify(handle?.id)} does not belong to this agent`);
    return endpoint;
  }

  registerCluster<C>(handle: EndpointHandle, metadata: ClusterMetadata, handlers: ClusterHandlers, context?: C): void {
    this.#own(handle).register(new RegisteredCluster(metadata, handlers, context));
  }

  #cluster(handle: EndpointHandle, metadata: ClusterMetadata): RegisteredCluster {
    const cluster = this.#own(handle).clusterFor(metadata);
    if (!cluster) throw new ArgumentError(`cluster ${metadata.name} is not registered on endpoint ${handle.id}`);
    return cluster;
  }

  reportAttribute(handle: EndpointHandle, metadata: ClusterMetadata, attributeId: number, value: unknown, options?: ReportOptions): void {
    const cluster = this.#cluster(handle, metadata);
    const attribute = cluster.attributeById(attributeId);
    if (!attribute) throw new ArgumentError(`${metadata.name} has no attribute 0x${attributeId.toString(16)}`);
    let wire: unknown;
    try {
      wire = encodeNullable(attribute.type, attribute.nullable, value, attribute.property, 'capability');
    } catch (error) {
      throw new ArgumentError(`report of ${metadata.name}.${attribute.property}: ${(error as ValueError).message}`);
    }
    cluster.reported.set(attribute.id, value);
    this.#reporter.reportProperty(handle.id, metadata, attribute, wire, options?.immediate ?? false);
  }

  emitEvent(handle: EndpointHandle, metadata: ClusterMetadata, eventId: number, fields: Record<string, unknown>, options?: ReportOptions): void {
    const cluster = this.#cluster(handle, metadata);
    const event = cluster.eventById(eventId);
    if (!event) throw new ArgumentError(`${metadata.name} has no event 0x${eventId.toString(16)}`);
    if (!this.#eventNumbers.loaded) throw new ArgumentError('emitEvent before the agent loaded its event numbers (call agent.start() or handler.load())');
    let wire: Json;
    try {
      wire = encodeFields(event.fields, fields ?? {}, event.name, 'capability');
    } catch (error) {
      throw new ArgumentError(`event ${metadata.name}.${event.name}: ${(error as ValueError).message}`);
    }
    this.#reporter.emitEvent(handle.id, metadata, event, wire, options?.immediate ?? false);
  }

  capabilityReport(): CapabilityReport {
    return buildCapabilityReport(this.options.nodeId, [...this.#endpoints.values()], this.options);
  }

  // ---- MQTT ----

  /** Subscribes to the control and setup topics of `thingName`, publishes the capability report and what is pending. */
  async attach(mqtt: MqttClient, thingName: string): Promise<void> {
    if (this.#closed) throw new RegistrationError('the data-model handler is closed');
    await this.load();
    if (this.#mqtt) await this.detach();
    const topics = resolveDataTopics(thingName, this.options.topics);
    this.#mqtt = mqtt;
    this.#topics = topics;
    await mqtt.subscribe(topics.control, this.#onControl, { qos: this.options.qos });
    await mqtt.subscribe(topics.setup, this.#onSetup, { qos: this.options.qos });
    this.#removeListener = mqtt.addConnectionListener({ onConnected: () => this.#reporter.flush() });
    await this.publishCapabilityReport();
    this.#reporter.flush();
  }

  /** Unsubscribes; pending reports stay pending for a later attach. */
  async detach(): Promise<void> {
    const mqtt = this.#mqtt;
    const topics = this.#topics;
    this.#removeListener?.();
    this.#removeListener = undefined;
    this.#mqtt = undefined;
    this.#topics = undefined;
    if (mqtt && topics && mqtt.connected) {
      await Promise.all([mqtt.unsubscribe(topics.control, this.#onControl), mqtt.unsubscribe(topics.setup, this.#onSetup)]).catch((error: unknown) =>
        this.#log('debug', `unsubscribe on detach failed: ${(error as Error).message}`),
      );
    }
  }

  async publishCapabilityReport(): Promise<void> {
    if (!this.#topics) throw new ArgumentError('publishCapabilityReport before attach');
    await this.#publish(this.#topics.capabilities, this.capabilityReport() as unknown as Json);
    this.counters.capabilityReports++;
  }

  #publish(topic: string, message: Json): Promise<void> {
    const mqtt = this.#mqtt;
    if (!mqtt) return Promise.reject(new ArgumentError('not attached to an MQTT client'));
    return mqtt.publish(topic, this.#platform.text.encode(JSON.stringify(message)), { qos: this.options.qos });
  }

  /**
   * The control-topic handler. A request whose callbacks are all synchronous is answered before this
   * returns: the response is handed to the connection first and the agent's PUBACK follows it in the
   * same socket write (one TLS record), with no timer and no extra turn. Otherwise it returns a promise
   * the agent waits for before acknowledging; it settles when the response has gone out or after one
   * timer tick, whichever is first, so a slow callback never holds up other subscriptions' messages.
   */
  #onControlMessage(message: InboundMessage): Promise<void> | void {
    const response = this.#handle(message.payload);
    if (!thenable(response)) {
      this.#sendResponse(response);
      return;
    }
    return new Promise<void>((release) => {
      const timer = this.#platform.timers.set(release, 0);
      void response.then((bytes) => {
        this.#platform.timers.clear(timer);
        // Release first: the agent's PUBACK then joins the response's write instead of preceding it.
        release();
        this.#sendResponse(bytes);
      });
    });
  }

  #sendResponse(response: Uint8Array | undefined): void {
    if (!response || !this.#mqtt || !this.#topics) return;
    this.counters.responsesSent++;
    this.#mqtt.publish(this.#topics.controlResponse, response, { qos: this.options.qos }).then(
      () => undefined,
      (error: unknown) => {
        this.counters.responseFailures++;
        this.#log('warn', `command response publish failed: ${(error as Error).message}`);
      },
    );
  }

  /**
   * Handles one command message (raw bytes off the control topic) and resolves with the encoded
   * response, or undefined when the message was dropped (not UTF-8 JSON, oversized: logged and
   * counted). Never rejects. Requests run one at a time, in arrival order.
   */
  handleMessage(bytes: Uint8Array): Promise<Uint8Array | undefined> {
    const result = this.#handle(bytes);
    return thenable(result) ? result : Promise.resolve(result);
  }

  /** handleMessage, synchronous when the request's callbacks are. */
  #handle(bytes: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const receivedAt = this.#platform.clock.now();
    this.counters.commandsReceived++;
    if (bytes.length > this.options.maxMessageBytes) {
      this.counters.droppedOversized++;
      this.#log('warn', `dropped a ${bytes.length}-byte command (limit ${this.options.maxMessageBytes})`, { dropped: this.counters.droppedOversized });
      return undefined;
    }
    let request: unknown;
    try {
      request = JSON.parse(this.#platform.text.decode(bytes, true));
    } catch (error) {
      this.counters.droppedMalformed++;
      this.#log('warn', `dropped a command that is not UTF-8 JSON: ${(error as Error).message}`, { dropped: this.counters.droppedMalformed });
      return undefined;
    }
    const item: QueuedRequest = { request, receivedAt };
    if (!this.#busy) return this.#run(item);
    if (this.#queue.full) {
      this.counters.rejectedBusy++;
      this.#log('warn', 'command queue full: answering 503', { rejected: this.counters.rejectedBusy });
      return this.#encode(this.#busyResponse(item));
    }
    this.#queue.push(item);
    return new Promise((resolve) => this.#pendingResolvers.set(item, resolve));
  }

  #pendingResolvers = new Map<QueuedRequest, (r: Uint8Array) => void>();

  /** Runs one request; while it waits for an async callback, later requests queue behind it. */
  #run(item: QueuedRequest): Uint8Array | Promise<Uint8Array> {
    let body: Json | Promise<Json>;
    try {
      body = this.#dispatcher.dispatch(item.request);
    } catch (error) {
      body = this.#internalError(error);
    }
    if (!thenable(body)) return this.#finish(item, body);
    this.#busy = true;
    return new Promise<Uint8Array>((resolve) => {
      void body
        .then(
          (b) => this.#finish(item, b),
          (error: unknown) => this.#finish(item, this.#internalError(error)),
        )
        .then((bytes) => {
          // Resolving queues the caller's reactions (publishing this response) now; the next request
          // starts in a job queued after them, so responses leave in request order.
          resolve(bytes);
          void Promise.resolve().then(() => {
            this.#busy = false;
            this.#next();
          });
        });
    });
  }

  /** Starts the queued requests after an async one finished, in order, until one goes async again. */
  #next(): void {
    while (!this.#busy) {
      const next = this.#queue.shift();
      if (!next) return;
      const resolve = this.#pendingResolvers.get(next)!;
      this.#pendingResolvers.delete(next);
      const result = this.#run(next);
      if (thenable(result)) void result.then(resolve);
      else resolve(result);
    }
  }

  #internalError(error: unknown): Json {
    // The dispatcher turns every input problem into an answer; this is a bug, still answered.
    this.#log('error', `dispatch failed: ${(error as Error)?.stack ?? error}`);
    return { responseCode: 500, errors: [{ code: 'INTERNAL_ERROR', message: String((error as Error)?.message ?? error).slice(0, 200) }] };
  }

  #finish(item: QueuedRequest, body: Json): Uint8Array {
    const response = this.#encode(this.#envelope(item, body));
    if (response.length <= this.options.maxMessageBytes) return response;
    this.#log('warn', `response of ${response.length} bytes exceeds ${this.options.maxMessageBytes}: answering 500`);
    const { traceId } = body;
    return this.#encode(
      this.#envelope(item, {
        ...(traceId !== undefined ? { traceId } : {}),
        responseCode: 500,
        errors: [{ code: 'RESPONSE_TOO_LARGE', message: `response of ${response.length} bytes exceeds ${this.options.maxMessageBytes}` }],
      }),
    );
  }

  #busyResponse(item: QueuedRequest): Json {
    const root = requestRoot(item.request);
    const traceId = typeof root?.traceId === 'string' ? root.traceId.slice(0, 128) : undefined;
    return this.#envelope(item, { ...(traceId !== undefined ? { traceId } : {}), responseCode: 503, errors: [{ code: 'BUSY', message: 'command queue full' }] });
  }

  /** Wraps a dispatch result: traceId, times, ids, then the endpoints (or a request-level error). */
  #envelope(item: QueuedRequest, body: Json): Json {
    const root = requestRoot(item.request);
    const { traceId, ...rest } = body;
    const payload: Json = {};
    if (traceId !== undefined) payload.traceId = traceId;
    payload.commandReceivedAt = epochSeconds(item.receivedAt);
    payload.commandExecutedAt = epochSeconds(this.#platform.clock.now());
    const managedThingId = typeof root?.managedThingId === 'string' && root.managedThingId.length <= 128 ? root.managedThingId : this.options.managedThingId;
    if (managedThingId !== undefined) payload.managedThingId = managedThingId;
    payload.nodeId = typeof root?.nodeId === 'string' && root.nodeId.length <= 64 ? root.nodeId : this.options.nodeId;
    Object.assign(payload, rest);
    return { payload };
  }

  #encode(message: Json): Uint8Array {
    return this.#platform.text.encode(JSON.stringify(message));
  }

  /** Stops reporting, unsubscribes and forgets every endpoint. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.detach();
    this.#closed = true;
    this.#reporter.close();
    this.#endpoints.clear();
    this.#queue.drain();
    this.#pendingResolvers.clear();
  }
}

function thenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as Promise<T>).then === 'function';
}

function requestRoot(request: unknown): Json | undefined {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return undefined;
  const r = request as Json;
  const p = r.payload;
  return typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Json) : r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
