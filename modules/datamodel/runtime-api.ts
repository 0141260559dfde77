/**
 * What generated cluster modules call. Implemented by the data-model handler (modules/datamodel);
 * generated code stays thin: types, a metadata table and one-line wrappers around these.
 */
import type { ClusterMetadata } from './metadata.js';

/** An endpoint added with `agent.addEndpoint(id, name, deviceTypes)`. */
export interface EndpointHandle {
  readonly id: string;
}

export interface ReportOptions {
  /** Publish now instead of coalescing within the report window. */
  immediate?: boolean;
}

/** Handlers are an object of optional methods named as in the metadata (getter/setter/method). */
export type ClusterHandlers = object;

export interface DataModelRuntime {
  registerCluster<C>(endpoint: EndpointHandle, cluster: ClusterMetadata, handlers: ClusterHandlers, context?: C): void;
  reportAttribute(endpoint: EndpointHandle, cluster: ClusterMetadata, attributeId: number, value: unknown, options?: ReportOptions): void;
  emitEvent(endpoint: EndpointHandle, cluster: ClusterMetadata, eventId: number, fields: Record<string, unknown>, options?: ReportOptions): void;
}
