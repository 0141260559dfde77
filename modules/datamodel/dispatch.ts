/**
 * Command dispatch: walks a parsed command request (capability form, device-protocol.md 4.1, or Matter
 * form, 4.1b), runs every action in order and builds the one response (4.2). Bad input never throws out
 * of here: each failure becomes a responseCode and errors on the action (or on the level where the
 * request stopped making sense), and the remaining actions still run.
 */
import type { AttributeInfo, CommandInfo } from './metadata.js';
import type { Endpoint, RegisteredCluster } from './endpoint.js';
import type { Timers } from '../../platform/pal/index.js';
import { ActionError, ValueError } from './errors.js';
import { decodeFields, decodeNullable, encodeFields, encodeNullable, type WireForm } from './values.js';
import {
  formatAttributeId,
  formatClusterId,
  formatCommandId,
  parseId,
  READ_STATE_COMMAND_ID,
  UPDATE_STATE_COMMAND_ID,
} from './ids.js';
import { TimeoutError } from '../util/errors.js';

export interface WireError {
  code: string;
  message: string;
}

export interface DispatchOptions {
  timers: Timers;
  /** Longest a callback may take (async callbacks only; a sync one cannot be interrupted). */
  callbackTimeoutMs: number;
  /** Per-callback overrides, keyed `<ClusterName>.<method>` (`OnOff.on`, `LevelControl.setOnLevel`). */
  callbackTimeouts?: Readonly<Record<string, number>>;
  findEndpoint(id: string): Endpoint | undefined;
}

type Json = Record<string, unknown>;

const MAX_ECHO_CHARS = 128;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Echoes an identifier from the request (string or number), bounded so a response never balloons. */
function echo(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  return value.length > MAX_ECHO_CHARS ? value.slice(0, MAX_ECHO_CHARS) : value;
}

function failure(status: number, code: string, message: string): { responseCode: number; errors: WireError[] } {
  return { responseCode: status, errors: [{ code, message }] };
}

/** The outcome of one callback: a value, or a status with an error. */
type Outcome = { ok: true; value: unknown } | { ok: false; status: number; error: WireError };

function thenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

function errorOutcome(error: unknown, what: string): Outcome {
  if (error instanceof ActionError) return { ok: false, status: error.status, error: { code: error.code, message: error.message } };
  if (error instanceof TimeoutError) return { ok: false, status: 500, error: { code: 'CALLBACK_TIMEOUT', message: error.message } };
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, status: 500, error: { code: 'CALLBACK_FAILED', message: `${what} failed: ${message.slice(0, 200)}` } };
}

/** A computation that yields callback results (maybe promises) and returns T. */
type Steps<T> = Generator<unknown, T, unknown>;

/**
 * Runs steps synchronously for as long as every yielded value is a plain value; from the first
 * promise on, continues asynchronously. Sync callbacks thus cost no microtask turns at all.
 */
export function drive<T>(steps: Steps<T>): T | Promise<T> {
  let step = steps.next();
  while (!step.done) {
    if (thenable(step.value)) return driveAsync(steps, step.value);
    step = steps.next(step.value);
  }
  return step.value;
}

async function driveAsync<T>(steps: Steps<T>, pending: PromiseLike<unknown>): Promise<T> {
  let step = steps.next(await pending);
  while (!step.done) step = steps.next(thenable(step.value) ? await step.value : step.value);
  return step.value;
}

export class Dispatcher {
  #options: DispatchOptions;

  constructor(options: DispatchOptions) {
    this.#options = options;
  }

  /**
   * Calls a callback with a timeout. A synchronous result is returned without a timer or an extra
   * turn, so the common case (a sync setter or command) adds no latency.
   */
  #invoke(cluster: RegisteredCluster, method: string, args: unknown[], what: string): Outcome | Promise<Outcome> {
    const fn = cluster.callback(method)!;
    let result: unknown;
    try {
      result = fn.apply(cluster.handlers, [...args, cluster.context]);
    } catch (error) {
      return errorOutcome(error, what);
    }
    if (!thenable(result)) return { ok: true, value: result };
    const { timers } = this.#options;
    const callbackTimeoutMs = this.#options.callbackTimeouts?.[what] ?? this.#options.callbackTimeoutMs;
    return new Promise<Outcome>((resolve) => {
      const timer = timers.set(() => resolve(errorOutcome(new TimeoutError(what, callbackTimeoutMs), what)), callbackTimeoutMs);
      result.then(
        (value) => {
          timers.clear(timer);
          resolve({ ok: true, value });
        },
        (error: unknown) => {
          timers.clear(timer);
          resolve(errorOutcome(error, what));
        },
      );
    });
  }

  /**
   * Runs every action of `request` (already JSON-parsed) and returns the response payload's body:
   * synchronously when every callback it calls is synchronous (no promise, no extra turn), else a
   * Promise. Bad input never throws.
   */
  dispatch(request: unknown): Json | Promise<Json> {
    return drive(this.steps(request));
  }

  /** The dispatch as steps: each `yield` hands out a callback's result, possibly a promise to wait for. */
  *steps(request: unknown): Steps<Json> {
    const root = isObject(request) && isObject(request.payload) ? request.payload : request;
    const out: Json = {};
    if (!isObject(root)) return { ...failure(400, 'INVALID_REQUEST', 'expected a JSON object with a payload object') };
    const traceId = echo(root.traceId);
    if (traceId !== undefined) out.traceId = traceId;
    const endpoints = root.endpoints ?? root.Endpoints;
    if (!Array.isArray(endpoints)) {
      return { ...out, ...failure(400, 'INVALID_REQUEST', 'expected "endpoints" (or "Endpoints") to be a list') };
    }
    const results: Json[] = [];
    for (const ep of endpoints) results.push(yield* this.#endpoint(ep));
    out.endpoints = results;
    return out;
  }

  *#endpoint(request: unknown): Steps<Json> {
    if (!isObject(request)) return { ...failure(400, 'INVALID_ENDPOINT', 'expected an endpoint object') };
    const rawId = request.id ?? request.endpointId;
    const id = echo(rawId);
    const out: Json = { id: id ?? null };
    if (id === undefined) return { ...out, ...failure(400, 'INVALID_ENDPOINT', 'expected "id" (or "endpointId") to be a string') };
    const endpoint = this.#options.findEndpoint(id);
    if (Array.isArray(request.clusters)) {
      const clusters: Json[] = [];
      for (const c of request.clusters) clusters.push(yield* this.#matterCluster(endpoint, id, c));
      out.clusters = clusters;
      return out;
    }
    if (!Array.isArray(request.capabilities)) {
      return { ...out, ...failure(400, 'INVALID_ENDPOINT', 'expected "capabilities" (or "clusters") to be a list') };
    }
    const capabilities: Json[] = [];
    for (const c of request.capabilities) capabilities.push(yield* this.#capability(endpoint, id, c));
    out.capabilities = capabilities;
    return out;
  }

  // ---- capability form ----

  *#capability(endpoint: Endpoint | undefined, endpointId: string, request: unknown): Steps<Json> {
    if (!isObject(request)) return { ...failure(400, 'INVALID_CAPABILITY', 'expected a capability object') };
    const capId = echo(request.id);
    const cluster = endpoint && capId !== undefined ? endpoint.clusterByCapability(capId) : undefined;
    const out: Json = {
      id: capId ?? null,
      name: echo(request.name) ?? cluster?.metadata.name ?? null,
      version: echo(request.version) ?? '1.0',
    };
    if (capId === undefined) return { ...out, ...failure(400, 'INVALID_CAPABILITY', 'expected capability "id" to be a string') };
    const actions = request.actions;
    if (!Array.isArray(actions)) return { ...out, ...failure(400, 'INVALID_CAPABILITY', 'expected "actions" to be a list') };
    const results: Json[] = [];
    const properties: Json[] = [];
    for (const action of actions) {
      if (!isObject(action) || typeof action.name !== 'string') {
        results.push({ name: isObject(action) ? (echo(action.name) ?? null) : null, ...failure(400, 'INVALID_ACTION', 'expected an action object with a string "name"') });
        continue;
      }
      const name = echo(action.name)!;
      if (!endpoint) {
        results.push({ name, ...failure(404, 'ENDPOINT_NOT_FOUND', `no endpoint ${endpointId}`) });
        continue;
      }
      if (!cluster) {
        results.push({ name, ...failure(404, 'CAPABILITY_NOT_FOUND', `no capability ${capId} on endpoint ${endpointId}`) });
        continue;
      }
      const parameters = action.parameters;
      if (parameters !== undefined && parameters !== null && !isObject(parameters)) {
        results.push({ name, ...failure(400, 'INVALID_PARAMETERS', 'expected "parameters" to be an object') });
        continue;
      }
      const params = (parameters ?? {}) as Json;
      if (name === 'ReadState') results.push(yield* this.#readState(cluster, params, properties, 'capability'));
      else if (name === 'UpdateState') results.push(yield* this.#updateState(cluster, params, 'capability'));
      else results.push(yield* this.#command(cluster, cluster.commandByName(name), name, params, 'capability'));
    }
    out.actions = results;
    if (properties.length) out.properties = properties;
    return out;
  }

  /** ReadState: `propertiesToRead` is a list of property names or `["*"]`; absent means all. */
  *#readState(cluster: RegisteredCluster, params: Json, properties: Json[], form: WireForm): Steps<Json> {
    const requested = params.propertiesToRead;
    let attributes: (AttributeInfo | string)[];
    if (requested === undefined || (Array.isArray(requested) && requested.length === 1 && requested[0] === '*')) {
      attributes = cluster.metadata.attributes.filter((a) => cluster.canRead(a));
    } else if (Array.isArray(requested) && requested.every((p) => typeof p === 'string')) {
      attributes = requested.map((p) => cluster.attributeByProperty(p as string) ?? (p as string));
    } else {
      return { name: 'ReadState', ...failure(400, 'INVALID_PARAMETERS', 'expected "propertiesToRead" to be a list of property names or ["*"]') };
    }
    const errors: WireError[] = [];
    let status = 200;
    const fail = (s: number, e: WireError) => {
      if (status === 200) status = s;
      errors.push(e);
    };
    for (const attribute of attributes) {
      if (typeof attribute === 'string') {
        fail(404, { code: 'PROPERTY_NOT_FOUND', message: `no property ${echo(attribute)} in ${cluster.metadata.name}` });
        continue;
      }
      const read = yield* this.#read(cluster, attribute, form);
      if (read.ok) properties.push(form === 'matter' ? { [formatAttributeId(attribute.id)]: read.value } : { name: attribute.property, value: read.value });
      else fail(read.status, read.error);
    }
    return status === 200 ? { name: 'ReadState', responseCode: 200 } : { name: 'ReadState', responseCode: status, errors };
  }

  /** Reads one attribute through its getter (or the last reported value) and encodes it for the wire. */
  *#read(cluster: RegisteredCluster, attribute: AttributeInfo, form: WireForm): Steps<Outcome> {
    if (!attribute.readable) return { ok: false, status: 405, error: { code: 'PROPERTY_NOT_READABLE', message: `${attribute.property} is not readable` } };
    let value: unknown;
    if (cluster.callback(attribute.getter)) {
      const got = (yield this.#invoke(cluster, attribute.getter!, [], `${cluster.metadata.name}.${attribute.getter}`)) as Outcome;
      if (!got.ok) return got;
      value = got.value;
    } else if (cluster.reported.has(attribute.id)) {
      value = cluster.reported.get(attribute.id);
    } else if ((value = cluster.globalValue(attribute.id)) !== undefined) {
      // ClusterRevision, AcceptedCommandList, …: known from the registration.
    } else {
      return { ok: false, status: 501, error: { code: 'NOT_IMPLEMENTED', message: `no getter for ${attribute.property}` } };
    }
    try {
      return { ok: true, value: encodeNullable(attribute.type, attribute.nullable, value, attribute.property, form) };
    } catch (error) {
      return { ok: false, status: 500, error: { code: 'INVALID_VALUE', message: `getter returned a bad value: ${(error as Error).message}` } };
    }
  }

  /**
   * UpdateState: every property is checked (known, writable, has a setter, valid value) before any
   * setter runs, so a bad value leaves the device untouched; then setters run in order.
   */
  *#updateState(cluster: RegisteredCluster, params: Json, form: WireForm, keyById = false): Steps<Json> {
    const name = 'UpdateState';
    const writes: { attribute: AttributeInfo; value: unknown }[] = [];
    const errors: WireError[] = [];
    let status = 200;
    const fail = (s: number, e: WireError) => {
      if (status === 200) status = s;
      errors.push(e);
    };
    const keys = Object.keys(params);
    if (keys.length === 0) return { name, ...failure(400, 'INVALID_PARAMETERS', 'expected at least one property to update') };
    for (const key of keys) {
      const attributeId = keyById ? parseId(key) : undefined;
      const attribute = keyById ? (attributeId === undefined ? undefined : cluster.attributeById(attributeId)) : cluster.attributeByProperty(key);
      if (!attribute) {
        fail(404, { code: 'PROPERTY_NOT_FOUND', message: `no property ${echo(key)} in ${cluster.metadata.name}` });
        continue;
      }
      if (!attribute.writable) {
        fail(405, { code: 'PROPERTY_NOT_WRITABLE', message: `${attribute.property} is read-only` });
        continue;
      }
      try {
        const value = decodeNullable(attribute.type, attribute.nullable, params[key], attribute.property, { form, lenientScalars: form === 'matter' });
        if (!cluster.callback(attribute.setter)) {
          fail(501, { code: 'NOT_IMPLEMENTED', message: `no setter for ${attribute.property}` });
          continue;
        }
        writes.push({ attribute, value });
      } catch (error) {
        fail(400, { code: 'INVALID_VALUE', message: (error as ValueError).message });
      }
    }
    if (status !== 200) return { name, responseCode: status, errors };
    for (const { attribute, value } of writes) {
      const done = (yield this.#invoke(cluster, attribute.setter!, [value], `${cluster.metadata.name}.${attribute.setter}`)) as Outcome;
      if (!done.ok) return { name, responseCode: done.status, errors: [done.error] };
    }
    return { name, responseCode: 200 };
  }

  /** A cluster command: typed, validated request fields in; a typed response struct (if any) out. */
  *#command(cluster: RegisteredCluster, command: CommandInfo | undefined, name: string, params: Json, form: WireForm): Steps<Json> {
    const label = form === 'matter' && command ? formatCommandId(command.id) : name;
    const entry = (rest: Json): Json => (form === 'matter' ? { [label]: rest } : { name, ...rest });
    if (!command) return entry(failure(404, 'ACTION_NOT_FOUND', `no action ${name} in ${cluster.metadata.name}`));
    let request: Record<string, unknown>;
    try {
      request = decodeFields(command.request, params, '', { form, lenientScalars: form === 'matter' });
    } catch (error) {
      return entry(failure(400, 'INVALID_PARAMETERS', (error as ValueError).message));
    }
    if (!cluster.callback(command.method)) return entry(failure(501, 'NOT_IMPLEMENTED', `no callback for ${command.name}`));
    const done = (yield this.#invoke(cluster, command.method, [request], `${cluster.metadata.name}.${command.method}`)) as Outcome;
    if (!done.ok) return entry({ responseCode: done.status, errors: [done.error] });
    if (!command.response) return entry({ responseCode: 200 });
    if (typeof done.value !== 'object' || done.value === null) {
      return entry(failure(500, 'INVALID_RESPONSE', `${command.method} returned no ${command.response.name}`));
    }
    try {
      const fields = encodeFields(command.response.fields, done.value as Record<string, unknown>, command.response.name, form);
      return entry({ responseCode: 200, [form === 'matter' ? 'fields' : 'parameters']: fields });
    } catch (error) {
      return entry(failure(500, 'INVALID_RESPONSE', (error as ValueError).message));
    }
  }

  // ---- Matter form ----

  *#matterCluster(endpoint: Endpoint | undefined, endpointId: string, request: unknown): Steps<Json> {
    if (!isObject(request)) return { ...failure(400, 'INVALID_CLUSTER', 'expected a cluster object') };
    const clusterId = parseId(request.id);
    const out: Json = { id: clusterId === undefined ? (echo(request.id) ?? null) : formatClusterId(clusterId) };
    if (clusterId === undefined) return { ...out, ...failure(400, 'INVALID_CLUSTER', 'expected cluster "id" like "0x0006"') };
    if (!endpoint) return { ...out, ...failure(404, 'ENDPOINT_NOT_FOUND', `no endpoint ${endpointId}`) };
    const cluster = endpoint.clusterById(clusterId);
    if (!cluster) return { ...out, ...failure(404, 'CLUSTER_NOT_FOUND', `no cluster ${formatClusterId(clusterId)} on endpoint ${endpointId}`) };
    const commands: Json[] = [];
    const attributes: Json[] = [];
    // "commands" and "attributes" run in the order they appear in the request.
    for (const key of Object.keys(request)) {
      if (key === 'commands') {
        const list = matterCommandList(request.commands);
        if (!list) {
          commands.push({ ...failure(400, 'INVALID_COMMANDS', 'expected "commands" to be an object or a list of single-key objects') });
          continue;
        }
        for (const [rawId, params] of list) commands.push(yield* this.#matterCommand(cluster, rawId, params, attributes));
      } else if (key === 'attributes') {
        const writes = request.attributes;
        if (!isObject(writes)) {
          commands.push({ [formatCommandId(UPDATE_STATE_COMMAND_ID)]: failure(400, 'INVALID_ATTRIBUTES', 'expected "attributes" to map attribute ids to values') });
          continue;
        }
        const result = yield* this.#updateState(cluster, writes, 'matter', true);
        delete result.name;
        commands.push({ [formatCommandId(UPDATE_STATE_COMMAND_ID)]: result });
      }
    }
    if (commands.length) out.commands = commands;
    if (attributes.length) out.attributes = attributes;
    return out;
  }

  *#matterCommand(cluster: RegisteredCluster, rawId: string, params: unknown, attributes: Json[]): Steps<Json> {
    const id = parseId(rawId);
    if (id === undefined) return { [echo(rawId) ?? '?']: failure(400, 'INVALID_COMMAND', `expected a command id like "0x02", got ${JSON.stringify(echo(rawId))}`) };
    const label = formatCommandId(id);
    const merged = mergeParams(params);
    if (!merged) return { [label]: failure(400, 'INVALID_PARAMETERS', 'expected command fields to be an object (or a list of objects)') };
    if (id === UPDATE_STATE_COMMAND_ID) {
      const result = yield* this.#updateState(cluster, merged, 'matter', true);
      delete result.name;
      return { [label]: result };
    }
    if (id === READ_STATE_COMMAND_ID) {
      const ids = Object.keys(merged);
      const all = ids.length === 0 || ids.includes('*');
      const names = all ? undefined : ids.map((k) => {
        const n = parseId(k);
        return (n === undefined ? undefined : cluster.attributeById(n)?.property) ?? k;
      });
      const result = yield* this.#readState(cluster, names ? { propertiesToRead: names } : {}, attributes, 'matter');
      delete result.name;
      return { [label]: result };
    }
    return yield* this.#command(cluster, cluster.commandById(id), label, merged, 'matter');
  }
}

/** `commands` is either `{ "0x02": {…} }` or `[ { "0x02": {…} }, … ]` (the guide shows both). */
function matterCommandList(commands: unknown): [string, unknown][] | undefined {
  if (isObject(commands)) return Object.keys(commands).map((k) => [k, commands[k]]);
  if (!Array.isArray(commands)) return undefined;
  const out: [string, unknown][] = [];
  for (const item of commands) {
    if (!isObject(item)) return undefined;
    for (const k of Object.keys(item)) out.push([k, item[k]]);
  }
  return out;
}

/** Command fields as an object; the guide also writes them as a list of objects, merged here in order. */
function mergeParams(params: unknown): Json | undefined {
  if (params === undefined || params === null) return {};
  if (isObject(params)) return params;
  if (!Array.isArray(params)) return undefined;
  const out: Json = {};
  for (const p of params) {
    if (!isObject(p)) return undefined;
    // defineProperty, not assignment: a "__proto__" key from JSON must stay a plain (rejected) field.
    for (const k of Object.keys(p)) Object.defineProperty(out, k, { value: p[k], enumerable: true, writable: true, configurable: true });
  }
  return out;
}
