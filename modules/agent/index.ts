/** The device agent: `createAgent(config)` wires platform, MQTT, data model, provisioning and components. */
export { Agent, AgentStateError, createAgent, type AgentState } from './agent.js';
export { AGENT_DEFAULTS, initDefaultConfig } from './config.js';
export type { AgentConfig, AgentComponent, AgentContext, AgentProvisioner, DeviceIdentity, ResolvedAgentConfig } from './config.js';
export { registerCluster, reportAttribute, emitEvent, ActionError } from '../datamodel/index.js';
export type { EndpointHandle, ClusterMetadata, ReportOptions } from '../datamodel/index.js';
