/**
 * The device agent: wires the platform, one MQTT client, the data-model handler and the optional
 * provisioner and components (jobs, OTA) for one device.
 *
 *   const agent = createAgent({ platform, endpoint: { host, port }, thingName });
 *   const light = agent.addEndpoint('1', 'Light', ['Light']);
 *   registerOnOff(light, { getOnOff: (ctx) => ctx.on, on: (_req, ctx) => { ctx.on = true; } }, state);
 *   await agent.start();   // provision if needed, connect, subscribe, publish the capability report
 *   …
 *   await agent.close();   // stop and release everything
 */
import type { Platform, TlsCredentials } from '../../platform/pal/index.js';
import type { MqttClient } from '../mqtt/types.js';
import { createMqttAgent } from '../mqtt/index.js';
import { DataModelHandler, type EndpointHandle } from '../datamodel/index.js';
import { ArgumentError, SdkError } from '../util/errors.js';
import {
  AGENT_DEFAULTS,
  initDefaultConfig,
  type AgentComponent,
  type AgentConfig,
  type AgentContext,
  type DeviceIdentity,
  type ResolvedAgentConfig,
} from './config.js';

/** The agent was used in a state that does not allow it (started twice, used after close). */
export class AgentStateError extends SdkError {}

export type AgentState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'closed';

export class Agent {
  readonly config: ResolvedAgentConfig;
  readonly platform: Platform;
  readonly mqtt: MqttClient;
  readonly dataModel: DataModelHandler;
  #ownsMqtt: boolean;
  #components: AgentComponent[];
  #started: AgentComponent[] = [];
  #state: AgentState = 'created';
  #identity: Required<Pick<DeviceIdentity, 'thingName' | 'clientId'>> | undefined;
  #stopWatchingIdentity: (() => void) | undefined;
  #recovery: Promise<void> | undefined;

  constructor(config: AgentConfig) {
    if (!config || !config.platform) throw new ArgumentError('expected createAgent({ platform, … }), got no platform');
    this.config = initDefaultConfig(config);
    this.platform = config.platform;
    this.#ownsMqtt = !config.mqtt;
    this.mqtt = config.mqtt ?? createMqttAgent(config.platform, this.config.mqttConfig);
    this.dataModel = new DataModelHandler(config.platform, this.config);
    this.#components = [...(config.components ?? [])];
  }

  get state(): AgentState {
    return this.#state;
  }

  /** The last restart after the broker refused the device identity while running (see #onDisconnected). */
  get recovery(): Promise<void> | undefined {
    return this.#recovery;
  }

  get thingName(): string | undefined {
    return this.#identity?.thingName;
  }

  get clientId(): string | undefined {
    return this.#identity?.clientId;
  }

  /** Adds an endpoint (id 1..64 of [0-9a-zA-Z]); register clusters on the returned handle. */
  addEndpoint(id: string | number, name: string, deviceTypes: readonly string[]): EndpointHandle {
    if (this.#state === 'closed') throw new AgentStateError('addEndpoint after close()');
    return this.dataModel.addEndpoint(String(id), name, deviceTypes);
  }

  /** Adds a component (jobs, OTA) started with the agent; if the agent runs already, it starts now. */
  async addComponent(component: AgentComponent): Promise<void> {
    if (this.#state === 'closed') throw new AgentStateError('addComponent after close()');
    this.#components.push(component);
    if (this.#state === 'running') {
      await component.start(this.#context());
      this.#started.push(component);
    }
  }

  #context(): AgentContext {
    return { platform: this.platform, mqtt: this.mqtt, thingName: this.#identity!.thingName, clientId: this.#identity!.clientId };
  }

  /**
   * Provisions when needed (config.provisioner), connects with the device credentials, subscribes to
   * the data topics, publishes the capability report and anything reported meanwhile, then starts the
   * components.
   */
  async start(): Promise<void> {
    if (this.#state === 'running') return;
    if (this.#state !== 'created' && this.#state !== 'stopped') throw new AgentStateError(`start() while ${this.#state}`);
    this.#state = 'starting';
    try {
      await this.dataModel.load();
      const identity = await this.#resolveIdentity();
      this.#identity = identity;
      if (identity.managedThingId !== undefined) this.dataModel.options.managedThingId = identity.managedThingId;
      if (!this.mqtt.connected) {
        const endpoint = this.config.endpoint;
        if (!endpoint) throw new ArgumentError('expected config.endpoint { host, port } to connect (or a connected config.mqtt)');
        const tls: TlsCredentials | undefined =
          this.config.tls === false
            ? undefined
            : { ...AGENT_DEFAULTS.tls, ...(this.config.tls ?? {}), ...(endpoint.serverName ? { serverName: endpoint.serverName } : {}), ...(endpoint.alpn ? { alpn: endpoint.alpn } : {}) };
        await this.mqtt.connect({ ...this.config.connect, host: endpoint.host, port: endpoint.port, clientId: identity.clientId, ...(tls ? { tls } : {}) });
      }
      await this.dataModel.attach(this.mqtt, identity.thingName);
      for (const component of this.#components) {
        await component.start(this.#context());
        this.#started.push(component);
      }
      this.#stopWatchingIdentity ??= this.mqtt.addConnectionListener({ onDisconnected: (reason) => this.#onDisconnected(reason) });
      this.#state = 'running';
    } catch (error) {
      this.#state = 'stopped';
      await this.#stopParts().catch(() => undefined);
      throw error;
    }
  }

  /**
   * The MQTT client reconnects on its own, except when the broker refuses the device certificate
   * (revoked or deactivated in the cloud): then, if the provisioner says so, the agent restarts,
   * and start() provisions a new identity with the claim credentials.
   */
  #onDisconnected(reason: Error | undefined): void {
    if (this.#state !== 'running' || !reason || !this.config.provisioner?.isIdentityRefused?.(reason)) return;
    this.platform.log.log('warn', 'agent', 'the broker refuses the device certificate; restarting to provision a new one', { error: reason.message });
    this.#recovery = (async () => {
      await this.stop();
      try {
        await this.start();
        this.platform.log.log('info', 'agent', 'running again with a new device certificate');
      } catch (error) {
        this.platform.log.log('error', 'agent', `could not recover the device identity: ${(error as Error).message}`);
      }
    })();
  }

  async #resolveIdentity(): Promise<{ thingName: string; clientId: string; managedThingId?: string }> {
    let identity: DeviceIdentity | undefined;
    if (this.config.provisioner) identity = await this.config.provisioner.ensureProvisioned({ platform: this.platform, mqtt: this.mqtt });
    else if (this.config.thingName) identity = { thingName: this.config.thingName, clientId: this.config.clientId ?? this.config.thingName };
    if (!identity || typeof identity.thingName !== 'string' || identity.thingName.length === 0) {
      throw new ArgumentError('expected config.thingName or a config.provisioner to supply the device identity');
    }
    return {
      thingName: identity.thingName,
      clientId: identity.clientId ?? this.config.clientId ?? identity.thingName,
      ...(identity.managedThingId !== undefined ? { managedThingId: identity.managedThingId } : {}),
    };
  }

  async #stopParts(): Promise<void> {
    const started = this.#started.reverse();
    this.#started = [];
    for (const component of started) {
      await component.stop().catch((error: unknown) =>
        this.platform.log.log('warn', 'agent', `component ${component.name} failed to stop: ${(error as Error).message}`),
      );
    }
    await this.dataModel.detach();
  }

  /** Stops the components, unsubscribes and disconnects; pending reports wait for the next start(). */
  async stop(): Promise<void> {
    if (this.#state !== 'running' && this.#state !== 'starting') return;
    this.#state = 'stopping';
    try {
      await this.#stopParts();
      await this.mqtt.disconnect().catch((error: unknown) => this.platform.log.log('debug', 'agent', `disconnect: ${(error as Error).message}`));
    } finally {
      this.#state = 'stopped';
    }
  }

  /** Stops and releases every resource (timers, queues, endpoints, components). The agent is unusable after. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.stop();
    for (const component of this.#components) {
      await component.close?.().catch((error: unknown) =>
        this.platform.log.log('warn', 'agent', `component ${component.name} failed to close: ${(error as Error).message}`),
      );
    }
    this.#components = [];
    this.#stopWatchingIdentity?.();
    this.#stopWatchingIdentity = undefined;
    await this.dataModel.close();
    // A shared client belongs to whoever made it; the agent only disconnects a client it made itself.
    if (this.#ownsMqtt && this.mqtt.connected) await this.mqtt.disconnect().catch(() => undefined);
    this.#state = 'closed';
  }
}

export function createAgent(config: AgentConfig): Agent {
  return new Agent(config);
}
