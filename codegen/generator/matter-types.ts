/**
 * Matter's built-in data types (Matter Core spec, chapter 7.19 "Data Types") and the value ranges the
 * data-model handler validates against. Derived types narrow their base type (percent is a uint8 in
 * 0..100). Nullable integers lose one value to the null sentinel: the maximum for unsigned types, the
 * minimum for signed ones (nullable int8u is 0..254, nullable int8s is -127..127).
 * 64-bit bounds are clamped to ±Number.MAX_SAFE_INTEGER: values travel as JS numbers.
 */
export type BuiltinType =
  | { kind: 'bool' }
  | { kind: 'int'; bits: number; signed: boolean; min?: number; max?: number }
  | { kind: 'float' | 'double' }
  | { kind: 'string' }
  | { kind: 'octets'; fixedMax?: number };

const u = (bits: number, min?: number, max?: number): BuiltinType => ({ kind: 'int', bits, signed: false, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) });
const s = (bits: number, min?: number, max?: number): BuiltinType => ({ kind: 'int', bits, signed: true, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) });

const TABLE: Record<string, BuiltinType> = {
  boolean: { kind: 'bool' },
  single: { kind: 'float' },
  float: { kind: 'float' },
  double: { kind: 'double' },
  char_string: { kind: 'string' },
  long_char_string: { kind: 'string' },
  octet_string: { kind: 'octets' },
  long_octet_string: { kind: 'octets' },
  // Network addresses are octet strings of bounded length.
  ipadr: { kind: 'octets', fixedMax: 16 },
  ipv4adr: { kind: 'octets', fixedMax: 4 },
  ipv6adr: { kind: 'octets', fixedMax: 16 },
  ipv6pre: { kind: 'octets', fixedMax: 17 },
  hwadr: { kind: 'octets', fixedMax: 8 },
  // Raw enums and bitmaps used as plain field types.
  enum8: u(8), enum16: u(16),
  bitmap8: u(8), bitmap16: u(16), bitmap32: u(32), bitmap64: u(64),
  // Derived unsigned types.
  percent: u(8, 0, 100),
  percent100ths: u(16, 0, 10000),
  epoch_s: u(32), utc: u(32), epoch_us: u(64), posix_ms: u(64), systime_ms: u(64), systime_us: u(64),
  elapsed_s: u(32),
  action_id: u(8), fabric_idx: u(8), status: u(8), priority: u(8), namespace: u(8), tag: u(8),
  vendor_id: u(16), group_id: u(16), endpoint_no: u(16), entry_idx: u(16),
  devtype_id: u(32), cluster_id: u(32), attrib_id: u(32), field_id: u(32), event_id: u(32),
  command_id: u(32), trans_id: u(32), data_ver: u(32),
  fabric_id: u(64), node_id: u(64), event_no: u(64),
  // Derived signed types.
  temperature: s(16, -27315, 32767),
  amperage_ma: s(64), voltage_mv: s(64), power_mw: s(64), power_mva: s(64), power_mvar: s(64),
  energy_mwh: s(64), energy_mvah: s(64), energy_mvarh: s(64), money: s(64),
};
for (const bits of [8, 16, 24, 32, 40, 48, 56, 64]) {
  TABLE[`int${bits}u`] = u(bits);
  TABLE[`int${bits}s`] = s(bits);
}

/** Looks a type name up case-insensitively, as ZAP-written files vary in case (`INT8U`). */
export function builtinType(name: string): BuiltinType | undefined {
  return TABLE[name] ?? TABLE[name.toLowerCase()];
}

const SAFE = Number.MAX_SAFE_INTEGER;

/** The inclusive range of an integer type, with the null sentinel removed when nullable. */
export function integerRange(t: Extract<BuiltinType, { kind: 'int' }>, nullable: boolean): { min: number; max: number } {
  let min: number;
  let max: number;
  if (t.signed) {
    min = -(2 ** (t.bits - 1)) + (nullable ? 1 : 0);
    max = 2 ** (t.bits - 1) - 1;
  } else {
    min = 0;
    max = 2 ** t.bits - 1 - (nullable ? 1 : 0);
  }
  if (t.min !== undefined) min = Math.max(min, t.min);
  if (t.max !== undefined) max = Math.min(max, t.max);
  return { min: Math.max(min, -SAFE), max: Math.min(max, SAFE) };
}
