/**
 * mi-device-sdk's public API: what an application (examples/*, a firmware's main) imports.
 * Components stay importable on their own (modules/<component>/index.ts) for smaller builds.
 */
export { Agent, AgentStateError, createAgent, initDefaultConfig, AGENT_DEFAULTS } from './agent/index.js';
export type { AgentConfig, AgentComponent, AgentContext, AgentProvisioner, DeviceIdentity, AgentState } from './agent/index.js';
export { registerCluster, reportAttribute, emitEvent, ActionError, ValueError, RegistrationError } from './datamodel/index.js';
export type { ClusterMetadata, EndpointHandle, ReportOptions, TypeInfo } from './datamodel/index.js';
export { createMqttAgent, topicMatches } from './mqtt/index.js';
export type { MqttClient, MqttConnectOptions, MqttAgentConfig, InboundMessage, QoS } from './mqtt/index.js';
export { KeyStore, SoftwareKeyStoreBackend, Labels } from './keystore/index.js';
export type { KeyStoreApi, KeyObjectInfo } from './keystore/index.js';
export { SdkError, QueueFullError, LimitExceededError, TimeoutError, ArgumentError } from './util/errors.js';
export type { Platform } from '../platform/pal/index.js';
