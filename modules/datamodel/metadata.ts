/**
 * The contract between generated cluster modules (codegen/) and the data-model runtime: plain data
 * tables describing a cluster, enough to dispatch commands and validate values. Generated modules
 * export one `ClusterMetadata` each and call the runtime functions in ./runtime-api.ts.
 */

/** A value type with the constraints needed to validate incoming values. */
export type TypeInfo =
  | { kind: 'bool' }
  /** Integers (int8..int64, uint8..uint64, and Matter's derived types such as percent, epoch_s). */
  | { kind: 'int'; matterType: string; min: number; max: number }
  /** `min`/`max` come from a custom capability schema's JSON-schema bounds (Matter floats have none). */
  | { kind: 'float' | 'double'; matterType: string; min?: number; max?: number }
  | { kind: 'string'; maxLength?: number }
  | { kind: 'octets'; maxLength?: number }
  | { kind: 'enum'; name: string; values: readonly number[] }
  /** Bitmaps: `mask` has every defined bit set (a number; 64-bit bitmaps use the low 53 bits). */
  | { kind: 'bitmap'; name: string; mask: number }
  | { kind: 'struct'; name: string; fields: readonly FieldInfo[] }
  | { kind: 'list'; item: TypeInfo; maxLength?: number };

export interface FieldInfo {
  id: number;
  /** The Matter field name (`onOffControl`) and the managed-integrations name (`OnOffControl`). */
  name: string;
  wireName: string;
  type: TypeInfo;
  optional: boolean;
  nullable: boolean;
}

export interface AttributeInfo {
  id: number;
  name: string;
  /** Managed-integrations property name: the attribute name with the first letter upper-cased. */
  property: string;
  type: TypeInfo;
  optional: boolean;
  nullable: boolean;
  readable: boolean;
  writable: boolean;
  /** Method names on the generated handlers interface (`getOnOff`, `setOnTime`). */
  getter?: string;
  setter?: string;
}

export interface CommandInfo {
  id: number;
  name: string;
  /** Method name on the handlers interface (`on`, `offWithEffect`). */
  method: string;
  request: readonly FieldInfo[];
  /** Response struct, or undefined for DefaultSuccess. */
  response?: { id: number; name: string; fields: readonly FieldInfo[] };
}

export interface EventInfo {
  id: number;
  name: string;
  priority: 'DEBUG' | 'INFO' | 'CRITICAL';
  fields: readonly FieldInfo[];
}

export interface ClusterMetadata {
  id: number;
  name: string;
  revision: number;
  /** `matter.<Name>@<revision>`, or the custom schema's `$id` (`custom.SimpleLighting@1.0`). */
  capabilityId: string;
  attributes: readonly AttributeInfo[];
  commands: readonly CommandInfo[];
  events: readonly EventInfo[];
}
