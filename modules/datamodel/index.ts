/**
 * The data-model handler's public surface. Generated cluster modules import the free functions and
 * types below; the application gets endpoints from `agent.addEndpoint` (modules/agent).
 */
import type { ClusterMetadata } from './metadata.js';
import type { ClusterHandlers, EndpointHandle, ReportOptions, DataModelRuntime } from './runtime-api.js';
import { ArgumentError } from '../util/errors.js';

export type { ClusterMetadata, TypeInfo, FieldInfo, AttributeInfo, CommandInfo, EventInfo } from './metadata.js';
export type { ClusterHandlers, EndpointHandle, ReportOptions, DataModelRuntime } from './runtime-api.js';
export { ActionError, ValueError, RegistrationError } from './errors.js';

function ownerOf(endpoint: EndpointHandle): DataModelRuntime {
  const owner = endpoint?.owner;
  if (!owner) {
    throw new ArgumentError(`expected an endpoint returned by agent.addEndpoint, got ${JSON.stringify(endpoint?.id)} without an owner`);
  }
  return owner;
}

/** Registers `handlers` for `metadata`'s cluster on `endpoint`; callbacks get `context`. */
export function registerCluster<C>(endpoint: EndpointHandle, metadata: ClusterMetadata, handlers: ClusterHandlers, context?: C): void {
  ownerOf(endpoint).registerCluster(endpoint, metadata, handlers, context);
}

/** Reports an attribute's new value (coalesced within the report window unless `immediate`). */
export function reportAttribute(endpoint: EndpointHandle, metadata: ClusterMetadata, attributeId: number, value: unknown, options?: ReportOptions): void {
  ownerOf(endpoint).reportAttribute(endpoint, metadata, attributeId, value, options);
}

/** Emits a data-model event (never coalesced; numbered monotonically across reboots). */
export function emitEvent(endpoint: EndpointHandle, metadata: ClusterMetadata, eventId: number, fields: Record<string, unknown>, options?: ReportOptions): void {
  ownerOf(endpoint).emitEvent(endpoint, metadata, eventId, fields, options);
}

export { DataModelHandler, DATA_MODEL_DEFAULTS, epochSeconds } from './handler.js';
export type { DataModelOptions, DataModelPlatform, DataModelCounters } from './handler.js';
export { DEFAULT_DATA_TOPICS, resolveDataTopics } from './topics.js';
export type { DataTopicTemplates, DataTopics } from './topics.js';
export type { CapabilityReport } from './capability-report.js';
export type { ReporterCounters } from './reporter.js';
export { EVENT_NUMBER_KEY } from './event-numbers.js';
export { utf8Length } from './utf8-length.js';
