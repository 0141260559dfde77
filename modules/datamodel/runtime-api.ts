/**
 * What generated cluster modules call. Implemented by the data-model handler (modules/datamodel);
 * generated code stays thin: types, a metadata table and one-line wrappers around these.
 *
 * Handler calling convention (what the data-model handler does with the methods named in the metadata):
 * - getter  `getOnOff(context)`                → value, or a Promise of it
 * - setter  `setOnTime(value, context)`        → void, or a Promise
 * - command `onWithTimedOff(request, context)` → void / the response struct, or a Promise of it;
 *   `request` is always an object keyed by the Matter field names (`onOffControl`), `{}` for commands
 *   without fields; a response struct is keyed the same way.
 * Values are plain JS: booleans, numbers (integers, floats, enum members, bitmaps), strings,
 * Uint8Array (octets), arrays (lists), objects keyed by Matter field name (structs), null (nullable).
 * A callback reports failure by throwing (answered 500) or by throwing `ActionError` from
 * modules/datamodel with an HTTP-style status and error code of its choice.
 */
import type { ClusterMetadata } from './metadata.js';

/** An endpoint added with `agent.addEndpoint(id, name, deviceTypes)`. */
export interface EndpointHandle {
  readonly id: string;
  /**
   * The data-model runtime that owns the endpoint; the free functions of modules/datamodel
   * (`registerCluster`, `reportAttribute`, `emitEvent`) delegate to it. Set on every handle that
   * `agent.addEndpoint` returns.
   */
  readonly owner?: DataModelRuntime;
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
