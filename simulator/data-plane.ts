import { randomBytes } from 'node:crypto';
import type { InboundMessage } from './broker.js';
import type { CloudCore } from './core.js';
import { CommandTimeoutError, invalid } from './errors.js';

/**
 * Managed-integrations data topics (device-protocol.md section 4). `{thingName}` is the managed thing id.
 * Kept in one place so a deployment can change them.
 */
export const DATA_TOPICS = {
  control: (t: string) => `south/${t}/control`,
  setup: (t: string) => `south/${t}/setup`,
  controlResponse: (t: string) => `north/${t}/control/response`,
  state: (t: string) => `north/${t}/state`,
  events: (t: string) => `north/${t}/events`,
  capabilities: (t: string) => `north/${t}/setup/capabilities`,
} as const;

const NORTH = /^north\/([^/]+)\/(control\/response|state|events|setup\/capabilities)$/;

export const CAPABILITY_REPORT_LIMITS = { version: '1.0.0', maxEndpoints: 40, maxCapabilitiesPerEndpoint: 50 } as const;

export interface SendCommandResult {
  TraceId: string;
  /** The device's response message as received (only with a wait). */
  Response?: unknown;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Checks a capability report against the API reference's CapabilityReport; returns the reason it fails, or null. */
export function capabilityReportProblem(report: unknown): string | null {
  if (!isObject(report)) return 'capability report must be a JSON object';
  if (report.version !== CAPABILITY_REPORT_LIMITS.version) {
    return `version must be "1.0.0", got ${JSON.stringify(report.version)}`;
  }
  const endpoints = report.endpoints;
  if (!Array.isArray(endpoints) || endpoints.length === 0) return 'endpoints must be a non-empty array';
  if (endpoints.length > CAPABILITY_REPORT_LIMITS.maxEndpoints) {
    return `at most ${CAPABILITY_REPORT_LIMITS.maxEndpoints} endpoints, got ${endpoints.length}`;
  }
  for (const endpoint of endpoints) {
    if (!isObject(endpoint)) return 'each endpoint must be an object';
    if (typeof endpoint.id !== 'string' || !/^[0-9a-zA-Z]{1,64}$/.test(endpoint.id)) {
      return `endpoint id must be 1 to 64 characters of [0-9a-zA-Z], got ${JSON.stringify(endpoint.id)}`;
    }
    const capabilities = endpoint.capabilities;
    if (!Array.isArray(capabilities)) return `endpoint ${endpoint.id}: capabilities must be an array`;
    if (capabilities.length > CAPABILITY_REPORT_LIMITS.maxCapabilitiesPerEndpoint) {
      return `endpoint ${endpoint.id}: at most ${CAPABILITY_REPORT_LIMITS.maxCapabilitiesPerEndpoint} capabilities, got ${capabilities.length}`;
    }
    for (const capability of capabilities) {
      if (!isObject(capability) || typeof capability.id !== 'string' || capability.id.length === 0) {
        return `endpoint ${endpoint.id}: each capability needs a string id`;
      }
      for (const list of ['properties', 'actions', 'events'] as const) {
        const value = capability[list];
        if (value !== undefined && !Array.isArray(value)) {
          return `capability ${capability.id}: ${list} must be an array`;
        }
      }
    }
  }
  return null;
}

/** The device messages wrap their body in `{"payload": …}`; capability reports may come bare. */
function unwrap(message: unknown): Json | null {
  if (!isObject(message)) return null;
  return isObject(message.payload) ? message.payload : message;
}

interface Waiter { resolve: (response: unknown) => void; timer: NodeJS.Timeout }

/**
 * Capability reports, state and event reports, and SendManagedThingCommand with its response.
 */
export class DataPlane {
  readonly #core: CloudCore;
  readonly #waiters = new Map<string, Waiter>();

  constructor(core: CloudCore) {
    this.#core = core;
  }

  stop(): void {
    for (const waiter of this.#waiters.values()) clearTimeout(waiter.timer);
    this.#waiters.clear();
  }

  async handle(message: InboundMessage): Promise<void> {
    const match = NORTH.exec(message.topic);
    if (!match) return;
    const thingId = match[1]!;
    const core = this.#core;
    if (!core.registry.getThing(thingId)) return;
    let body: unknown;
    try {
      body = JSON.parse(message.payload.toString('utf8'));
    } catch {
      return; // not JSON: dropped, as the real service drops malformed reports
    }
    const at = core.now() / 1000;
    switch (match[2]) {
      case 'setup/capabilities': {
        const report = isObject(body) && isObject(body.payload) && !('version' in body) ? body.payload : body;
        const problem = capabilityReportProblem(report);
        if (problem) {
          core.emit('capabilities-rejected', { managedThingId: thingId, reason: problem, report });
          return;
        }
        core.registry.putCapabilityReport(thingId, report, at);
        core.emit('capabilities', { managedThingId: thingId, report });
        return;
      }
      case 'state': {
        core.registry.insertReport(thingId, 'state', body, at);
        this.#mergeState(thingId, unwrap(body), at);
        core.emit('state', { managedThingId: thingId, payload: body });
        return;
      }
      case 'events': {
        core.registry.insertReport(thingId, 'event', body, at);
        core.emit('event', { managedThingId: thingId, payload: body });
        return;
      }
      case 'control/response': {
        const traceId = unwrap(body)?.traceId;
        if (typeof traceId !== 'string') return;
        const command = core.registry.getCommand(traceId);
        if (!command || command.thingId !== thingId) return;
        core.registry.setCommandStatus(traceId, 'RESPONDED', body, at);
        // Properties in a response are the device's current values too.
        this.#mergeState(thingId, unwrap(body), at);
        core.emit('response', { managedThingId: thingId, traceId, payload: body });
        const waiter = this.#waiters.get(traceId);
        if (waiter) {
          clearTimeout(waiter.timer);
          this.#waiters.delete(traceId);
          waiter.resolve(body);
        }
      }
    }
  }

  #mergeState(thingId: string, body: Json | null, at: number): void {
    const endpoints = body?.endpoints;
    if (!Array.isArray(endpoints)) return;
    for (const endpoint of endpoints) {
      if (!isObject(endpoint)) continue;
      const endpointId = String(endpoint.id ?? endpoint.endpointId ?? '');
      for (const capability of Array.isArray(endpoint.capabilities) ? endpoint.capabilities : []) {
        if (!isObject(capability) || !Array.isArray(capability.properties)) continue;
        for (const property of capability.properties) {
          if (!isObject(property) || typeof property.name !== 'string') continue;
          this.#core.registry.putState(thingId, {
            endpointId, capabilityId: String(capability.id ?? ''),
            capabilityName: typeof capability.name === 'string' ? capability.name : null,
            capabilityVersion: typeof capability.version === 'string' ? capability.version : null,
            property: property.name, value: property.value,
            lastChangedAt: typeof property.lastChangedAt === 'string' ? property.lastChangedAt : new Date(at * 1000).toISOString(),
          }, at);
        }
      }
    }
  }

  /** GetManagedThingState: the last reported value of every property, grouped by endpoint and capability. */
  state(thingId: string): { Endpoints: unknown[] } {
    const endpoints = new Map<string, Map<string, { id: string; name?: string; version?: string; properties: Json[] }>>();
    for (const s of this.#core.registry.listState(thingId)) {
      const capabilities = endpoints.get(s.endpointId) ?? new Map();
      endpoints.set(s.endpointId, capabilities);
      const capability = capabilities.get(s.capabilityId) ?? {
        id: s.capabilityId, ...(s.capabilityName ? { name: s.capabilityName } : {}),
        ...(s.capabilityVersion ? { version: s.capabilityVersion } : {}), properties: [],
      };
      capabilities.set(s.capabilityId, capability);
      capability.properties.push({ name: s.property, value: { propertyValue: s.value, lastChangedAt: s.lastChangedAt } });
    }
    return {
      Endpoints: [...endpoints].map(([endpointId, capabilities]) => ({ endpointId,
        capabilities: [...capabilities.values()] })),
    };
  }

  /** Asks the device for a fresh capability report on `south/{thingName}/setup`. */
  async requestCapabilityReport(thingId: string): Promise<void> {
    const broker = this.#requireBroker();
    await broker.publish(DATA_TOPICS.setup(thingId),
      JSON.stringify({ payload: { operation: 'CAPABILITY_REPORT', managedThingId: thingId } }), 1);
  }

  /**
   * SendManagedThingCommand. The AWS request body (`Endpoints: [{endpointId, capabilities}]`) becomes the
   * device request of device-protocol.md 4.1 (`payload.endpoints: [{id, capabilities}]`); a body already
   * in the device form (capability or Matter `clusters` form) is sent as it is, with our traceId.
   */
  async sendCommand(thingId: string, body: Json, options: { waitMs?: number } = {}): Promise<SendCommandResult> {
    const broker = this.#requireBroker();
    const traceId = `trace-${randomBytes(12).toString('hex')}`;
    const request = toDeviceRequest(thingId, traceId, body);
    const core = this.#core;
    core.registry.insertCommand({ traceId, thingId, request, response: null, status: 'SENT',
      sentAt: core.now() / 1000, respondedAt: null });
    const waitMs = options.waitMs;
    const response = waitMs === undefined ? undefined : new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(traceId);
        core.registry.setCommandStatus(traceId, 'TIMED_OUT', null, null);
        reject(new CommandTimeoutError(traceId, waitMs));
      }, waitMs);
      this.#waiters.set(traceId, { resolve, timer });
    });
    response?.catch(() => {}); // observed below; keeps an early timeout from being "unhandled"
    await broker.publish(DATA_TOPICS.control(thingId), JSON.stringify(request), 1);
    if (!response) return { TraceId: traceId };
    return { TraceId: traceId, Response: await response };
  }

  #requireBroker() {
    const broker = this.#core.broker;
    if (!broker) throw invalid('this operation needs a running cloud (mi-cloud start)');
    return broker;
  }
}

function toDeviceRequest(thingId: string, traceId: string, body: Json): Json {
  const inner = isObject(body.payload) ? body.payload : body;
  if (Array.isArray(inner.endpoints)) {
    return { payload: { ...inner, traceId, managedThingId: thingId } };
  }
  const endpoints = inner.Endpoints;
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw invalid('command body needs Endpoints: [{endpointId, capabilities: [{id, name, version, actions}]}]');
  }
  return {
    payload: {
      traceId,
      nodeId: typeof inner.nodeId === 'string' ? inner.nodeId : '1',
      managedThingId: thingId,
      endpoints: endpoints.map((endpoint: unknown) => {
        if (!isObject(endpoint)) throw invalid('each of Endpoints must be an object');
        const { endpointId, ...rest } = endpoint;
        return { id: String(endpointId ?? endpoint.id ?? ''), ...rest };
      }),
    },
  };
}
