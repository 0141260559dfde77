/**
 * Endpoints and the clusters registered on them: the lookup tables the dispatcher walks
 * (capability name or Matter id → cluster; property name or attribute id → attribute; action name or
 * command id → command) and the last reported value of each attribute.
 */
import type { AttributeInfo, ClusterMetadata, CommandInfo, EventInfo } from './metadata.js';
import type { ClusterHandlers, DataModelRuntime, EndpointHandle } from './runtime-api.js';
import { RegistrationError } from './errors.js';

/** `matter.OnOff@1.4`, `aws.OnOff`, `OnOff` → `OnOff`: capability ids match on their name part. */
export function capabilityNamePart(capabilityId: string): string {
  const at = capabilityId.indexOf('@');
  const base = at >= 0 ? capabilityId.slice(0, at) : capabilityId;
  const dot = base.lastIndexOf('.');
  return dot >= 0 ? base.slice(dot + 1) : base;
}

/** Matter global attribute ids. */
const GLOBAL = {
  first: 0xfff8,
  generatedCommandList: 0xfff8,
  acceptedCommandList: 0xfff9,
  attributeList: 0xfffb,
  clusterRevision: 0xfffd,
} as const;

export class RegisteredCluster {
  readonly metadata: ClusterMetadata;
  readonly handlers: Record<string, unknown>;
  readonly context: unknown;
  #byProperty = new Map<string, AttributeInfo>();
  #byAttributeId = new Map<number, AttributeInfo>();
  #byCommandName = new Map<string, CommandInfo>();
  #byCommandId = new Map<number, CommandInfo>();
  #byEventId = new Map<number, EventInfo>();
  /** Last value reported per attribute id (native form), used by ReadState when there is no getter. */
  readonly reported = new Map<number, unknown>();

  constructor(metadata: ClusterMetadata, handlers: ClusterHandlers, context: unknown) {
    if (typeof handlers !== 'object' || handlers === null) {
      throw new RegistrationError(`expected a handlers object for cluster ${metadata.name}, got ${handlers === null ? 'null' : typeof handlers}`);
    }
    this.metadata = metadata;
    this.handlers = handlers as Record<string, unknown>;
    this.context = context;
    for (const a of metadata.attributes) {
      this.#byProperty.set(a.property, a);
      this.#byAttributeId.set(a.id, a);
    }
    for (const c of metadata.commands) {
      this.#byCommandName.set(c.name, c);
      this.#byCommandId.set(c.id, c);
    }
    for (const e of metadata.events) this.#byEventId.set(e.id, e);
  }

  attributeByProperty(name: string): AttributeInfo | undefined {
    return this.#byProperty.get(name);
  }
  attributeById(id: number): AttributeInfo | undefined {
    return this.#byAttributeId.get(id);
  }
  commandByName(name: string): CommandInfo | undefined {
    return this.#byCommandName.get(name);
  }
  commandById(id: number): CommandInfo | undefined {
    return this.#byCommandId.get(id);
  }
  eventById(id: number): EventInfo | undefined {
    return this.#byEventId.get(id);
  }

  /** The handler method called `name`, if the application provided it. */
  callback(name: string | undefined): ((...args: unknown[]) => unknown) | undefined {
    if (!name) return undefined;
    const f = this.handlers[name];
    return typeof f === 'function' ? (f as (...args: unknown[]) => unknown) : undefined;
  }

  /** Readable now: the attribute is readable and has a getter, a reported value or a value the runtime knows. */
  canRead(attribute: AttributeInfo): boolean {
    return (
      attribute.readable &&
      (this.callback(attribute.getter) !== undefined || this.reported.has(attribute.id) || this.globalValue(attribute.id) !== undefined)
    );
  }

  /**
   * Matter's global attributes the runtime can answer itself from the registration:
   * ClusterRevision, AcceptedCommandList, GeneratedCommandList and AttributeList (FeatureMap is the
   * application's to give). Undefined for any other id.
   */
  globalValue(id: number): unknown {
    switch (id) {
      case GLOBAL.clusterRevision:
        return this.metadata.revision;
      case GLOBAL.acceptedCommandList:
        return this.supportedCommands().map((c) => c.id);
      case GLOBAL.generatedCommandList: {
        const ids = new Set<number>();
        for (const c of this.supportedCommands()) if (c.response) ids.add(c.response.id);
        return [...ids];
      }
      case GLOBAL.attributeList:
        return this.metadata.attributes
          .filter((a) => !a.optional || this.callback(a.getter) !== undefined || this.callback(a.setter) !== undefined || this.reported.has(a.id))
          .map((a) => a.id);
      default:
        return undefined;
    }
  }

  /**
   * Attributes the capability report lists: mandatory ones and optional ones the application serves.
   * Matter's global attributes (0xFFF8..0xFFFD) describe the cluster itself and are left out.
   */
  supportedAttributes(): AttributeInfo[] {
    return this.metadata.attributes.filter(
      (a) => a.id < GLOBAL.first && (!a.optional || this.callback(a.getter) !== undefined || this.callback(a.setter) !== undefined || this.reported.has(a.id)),
    );
  }

  /** Commands with a callback. */
  supportedCommands(): CommandInfo[] {
    return this.metadata.commands.filter((c) => this.callback(c.method) !== undefined);
  }
}

export interface EndpointLimits {
  maxCapabilitiesPerEndpoint: number;
}

const ENDPOINT_ID = /^[0-9a-zA-Z]{1,64}$/;

export class Endpoint implements EndpointHandle {
  readonly id: string;
  readonly name: string;
  readonly deviceTypes: readonly string[];
  readonly owner: DataModelRuntime;
  #byClusterId = new Map<number, RegisteredCluster>();
  #byCapabilityName = new Map<string, RegisteredCluster>();
  #limits: EndpointLimits;

  constructor(owner: DataModelRuntime, id: string, name: string, deviceTypes: readonly string[], limits: EndpointLimits) {
    if (typeof id !== 'string' || !ENDPOINT_ID.test(id)) {
      throw new RegistrationError(`expected an endpoint id of 1..64 [0-9a-zA-Z], got ${JSON.stringify(id)}`);
    }
    if (!Array.isArray(deviceTypes) || deviceTypes.length === 0 || deviceTypes.some((t) => typeof t !== 'string' || t.length === 0)) {
      throw new RegistrationError(`expected endpoint ${id} to have at least one device type name, got ${JSON.stringify(deviceTypes)}`);
    }
    this.owner = owner;
    this.id = id;
    this.name = String(name);
    this.deviceTypes = Object.freeze([...deviceTypes]);
    this.#limits = limits;
  }

  register(cluster: RegisteredCluster): void {
    const m = cluster.metadata;
    if (this.#byClusterId.has(m.id)) {
      throw new RegistrationError(`cluster ${m.name} (0x${m.id.toString(16)}) is already registered on endpoint ${this.id}`);
    }
    if (this.#byClusterId.size >= this.#limits.maxCapabilitiesPerEndpoint) {
      throw new RegistrationError(`endpoint ${this.id} already has ${this.#limits.maxCapabilitiesPerEndpoint} capabilities (the limit)`);
    }
    this.#byClusterId.set(m.id, cluster);
    this.#byCapabilityName.set(capabilityNamePart(m.capabilityId), cluster);
    if (!this.#byCapabilityName.has(m.name)) this.#byCapabilityName.set(m.name, cluster);
  }

  clusterById(id: number): RegisteredCluster | undefined {
    return this.#byClusterId.get(id);
  }

  clusterByCapability(capabilityId: string): RegisteredCluster | undefined {
    return this.#byCapabilityName.get(capabilityNamePart(capabilityId));
  }

  clusterFor(metadata: ClusterMetadata): RegisteredCluster | undefined {
    return this.#byClusterId.get(metadata.id);
  }

  get clusters(): RegisteredCluster[] {
    return [...this.#byClusterId.values()];
  }
}
