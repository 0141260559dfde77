/**
 * The parsed form of a `.matter` file, shaped like connectedhomeip's `matter_idl_types` so the
 * canonical JSON of ../shared/matter/README.md falls out of it directly.
 *
 * Integers are `number` when they fit a double exactly and `bigint` beyond 2^53 (bitmap64 constants).
 */
export type Int = number | bigint;

export type ApiMaturity = 'STABLE' | 'PROVISIONAL' | 'INTERNAL' | 'DEPRECATED';
export type AccessPrivilege = 'VIEW' | 'OPERATE' | 'MANAGE' | 'ADMINISTER';
export type FieldQuality = 'OPTIONAL' | 'NULLABLE' | 'FABRIC_SENSITIVE';
export type AttributeQuality = 'READABLE' | 'WRITABLE' | 'NOSUBSCRIBE' | 'TIMED_WRITE';
export type CommandQuality = 'TIMED_INVOKE' | 'FABRIC_SCOPED' | 'OPTIONAL';
export type EventQuality = 'FABRIC_SENSITIVE' | 'OPTIONAL';
export type StructQuality = 'FABRIC_SCOPED';
export type EventPriority = 'DEBUG' | 'INFO' | 'CRITICAL';
export type AttributeStorage = 'RAM' | 'PERSIST' | 'CALLBACK';

/** Flag sets print in the declaration order of upstream's Python flag enums, not source order. */
export const FIELD_QUALITY_ORDER: readonly FieldQuality[] = ['OPTIONAL', 'NULLABLE', 'FABRIC_SENSITIVE'];
export const ATTRIBUTE_QUALITY_ORDER: readonly AttributeQuality[] = ['READABLE', 'WRITABLE', 'NOSUBSCRIBE', 'TIMED_WRITE'];
export const COMMAND_QUALITY_ORDER: readonly CommandQuality[] = ['TIMED_INVOKE', 'FABRIC_SCOPED', 'OPTIONAL'];
export const EVENT_QUALITY_ORDER: readonly EventQuality[] = ['FABRIC_SENSITIVE', 'OPTIONAL'];

export interface DataType {
  name: string;
  maxLength?: Int;
}

export interface Field {
  code: Int;
  name: string;
  type: DataType;
  isList: boolean;
  qualities: FieldQuality[];
  apiMaturity: ApiMaturity;
  description: string | null;
  /** Extra bounds from a custom capability schema (JSON-schema minimum/maximum/maxLength/maxItems). */
  constraint?: ValueConstraint;
}

export interface ValueConstraint {
  min?: number;
  max?: number;
  maxLength?: number;
  maxItems?: number;
}

export interface ConstantEntry {
  name: string;
  code: Int;
  apiMaturity: ApiMaturity;
  specName: string | null;
  description: string | null;
}

export interface Enum {
  kind: 'enum';
  name: string;
  baseType: string;
  isGlobal: boolean;
  isShared: boolean;
  apiMaturity: ApiMaturity;
  description: string | null;
  entries: ConstantEntry[];
}

export interface Bitmap extends Omit<Enum, 'kind'> {
  kind: 'bitmap';
}

export type StructTag = 'REQUEST' | 'RESPONSE';

export interface Struct {
  kind: 'struct';
  name: string;
  tag: StructTag | null;
  /** Response structs only. */
  code: Int | null;
  qualities: StructQuality[];
  isGlobal: boolean;
  isShared: boolean;
  apiMaturity: ApiMaturity;
  description: string | null;
  fields: Field[];
}

export interface Attribute {
  definition: Field;
  qualities: AttributeQuality[];
  readAcl: AccessPrivilege;
  writeAcl: AccessPrivilege;
  apiMaturity: ApiMaturity;
}

export interface Command {
  code: Int;
  name: string;
  input: string | null;
  output: string;
  qualities: CommandQuality[];
  invokeAcl: AccessPrivilege;
  apiMaturity: ApiMaturity;
  description: string | null;
}

export interface Event {
  code: Int;
  name: string;
  priority: EventPriority;
  readAcl: AccessPrivilege;
  qualities: EventQuality[];
  apiMaturity: ApiMaturity;
  description: string | null;
  fields: Field[];
}

export interface Cluster {
  code: Int;
  name: string;
  revision: Int;
  apiMaturity: ApiMaturity;
  description: string | null;
  enums: Enum[];
  bitmaps: Bitmap[];
  structs: Struct[];
  attributes: Attribute[];
  commands: Command[];
  events: Event[];
}

export type DefaultValue = Int | string | boolean | null;

export interface AttributeInstantiation {
  name: string;
  storage: AttributeStorage;
  default: DefaultValue;
}

export interface ServerClusterInstantiation {
  name: string;
  attributes: AttributeInstantiation[];
  commands: string[];
  eventsEmitted: string[];
}

export interface DeviceType {
  name: string;
  code: Int;
  version: Int;
}

export interface Endpoint {
  number: Int;
  deviceTypes: DeviceType[];
  clientBindings: string[];
  serverClusters: ServerClusterInstantiation[];
}

export interface Idl {
  globalEnums: Enum[];
  globalBitmaps: Bitmap[];
  globalStructs: Struct[];
  clusters: Cluster[];
  endpoints: Endpoint[];
}

export type TypeDefinition = Enum | Bitmap | Struct;
