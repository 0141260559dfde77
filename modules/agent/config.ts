/**
 * The device agent's configuration and its defaults (the C SDK's iotmiDev_Agent_initDefaultConfig):
 * queue sizes, limits and timings that suit a 512 KB-RAM device, all overridable.
 */
import type { Platform, TlsCredentials } from '../../platform/pal/index.js';
import type { MqttAgentConfig, MqttClient, MqttConnectOptions } from '../mqtt/types.js';
import { DATA_MODEL_DEFAULTS, type DataModelOptions } from '../datamodel/index.js';
import { Labels } from '../keystore/types.js';

/** Who the device is on the MQTT connection. */
export interface DeviceIdentity {
  thingName: string;
  /** MQTT client id; defaults to the thing name. */
  clientId?: string;
  managedThingId?: string;
}

/** What components (provisionee, jobs, OTA, the application) get from the agent when it starts. */
export interface AgentContext {
  platform: Platform;
  mqtt: MqttClient;
  thingName: string;
  clientId: string;
}

/**
 * The provisioning seam: runs before the device connects when it has no device credentials yet.
 * `ensureProvisioned` returns the identity to use (provisioning first if needed, e.g. fleet
 * provisioning by claim on `mqtt`); if it leaves `mqtt` connected with the device identity, the
 * agent uses that connection as it is, otherwise the agent connects with the device certificate.
 */
export interface AgentProvisioner {
  ensureProvisioned(context: { platform: Platform; mqtt: MqttClient }): Promise<DeviceIdentity>;
  /**
   * Optional: whether a connection error means the broker refuses the device identity (a revoked or
   * deactivated certificate). When the MQTT client gives up for such a reason while the agent runs,
   * the agent restarts itself, and `ensureProvisioned` provisions a new identity.
   */
  isIdentityRefused?(error: unknown): boolean;
}

/** A long-lived part of the device (jobs, OTA) started after the data model is attached, stopped before. */
export interface AgentComponent {
  readonly name: string;
  start(context: AgentContext): Promise<void>;
  stop(): Promise<void>;
  /** Releases everything; called once by `agent.close()`. */
  close?(): Promise<void>;
}

export interface AgentConfig extends DataModelOptions {
  platform: Platform;
  /** The managed-integrations MQTT endpoint. Needed unless `mqtt` is already connected when `start()` runs. */
  endpoint?: { host: string; port: number; serverName?: string; alpn?: string[] };
  /** The device's identity, when provisioned already (otherwise `provisioner` supplies it). */
  thingName?: string;
  clientId?: string;
  /** An MQTT client to share (e.g. with the provisionee); by default the agent makes one with `createMqttAgent`. */
  mqtt?: MqttClient;
  /** Queue sizes of the MQTT client the agent makes. */
  mqttConfig?: MqttAgentConfig;
  /** Extra connect options (keep-alive, reconnect policy, timeouts). */
  connect?: Partial<Omit<MqttConnectOptions, 'host' | 'port' | 'clientId' | 'tls'>>;
  /** TLS credentials by key-store label (default: Root Cert / Device Cert / Device Key); `false`: plain TCP, tests only. */
  tls?: TlsCredentials | false;
  provisioner?: AgentProvisioner;
  components?: AgentComponent[];
}

/** Defaults of the agent's own fields and of the MQTT client it makes. */
export const AGENT_DEFAULTS = Object.freeze({
  ...DATA_MODEL_DEFAULTS,
  mqttConfig: Object.freeze({
    commandQueueSize: 32,
    receiveQueueSize: 32,
    maxInFlight: 100,
    offlineQueueSize: 64,
    maxInboundPacketBytes: 131_072 + 512,
    ackTimeoutMs: 30_000,
    protocolVersion: 4,
  } satisfies MqttAgentConfig),
  tls: Object.freeze({ caLabel: Labels.rootCert, certificateLabel: Labels.deviceCert, privateKeyLabel: Labels.deviceKey } satisfies TlsCredentials),
});

export type ResolvedAgentConfig = AgentConfig &
  Required<Omit<DataModelOptions, 'managedThingId' | 'topics' | 'callbackTimeouts'>> & { mqttConfig: MqttAgentConfig };

/**
 * Fills every unset field with its default, like iotmiDev_Agent_initDefaultConfig. `createAgent`
 * calls it; applications call it to see (and log) the effective configuration.
 */
export function initDefaultConfig(config: AgentConfig): ResolvedAgentConfig {
  const out: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(DATA_MODEL_DEFAULTS)) if (out[key] === undefined) out[key] = value;
  out.mqttConfig = { ...AGENT_DEFAULTS.mqttConfig, ...stripUndefined(config.mqttConfig ?? {}) };
  return out as unknown as ResolvedAgentConfig;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
