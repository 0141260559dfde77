/**
 * Validation and conversion of data-model values between the wire (JSON) and the callbacks (plain JS),
 * driven by the metadata's TypeInfo. Decoding checks every constraint of device-protocol.md 6 (integer
 * ranges, nullable, enum members, bitmap bits, string/octet/list lengths, struct fields) and throws
 * ValueError naming the offending path; encoding checks what callbacks and reports hand back.
 *
 * Wire forms: octets are base64 strings; structs are objects keyed by the field's managed-integrations
 * name (`OnOffControl`) in the capability form, or by hex field id (`"0x00"`) in the Matter form.
 * Callbacks see structs keyed by the Matter field name (`onOffControl`) and octets as Uint8Array.
 */
import type { FieldInfo, TypeInfo } from './metadata.js';
import { ValueError } from './errors.js';
import { utf8Length } from './utf8-length.js';
import { decodeBase64, encodeBase64 } from '../codec/base64.js';
import { formatFieldId, parseId } from './ids.js';

export type WireForm = 'capability' | 'matter';

export interface DecodeOptions {
  form: WireForm;
  /** Accept numbers and booleans written as strings (`"3"`, `"true"`), as the Matter-form examples do. */
  lenientScalars?: boolean;
}

const FLOAT32_MAX = 3.4028234663852886e38;
/** Nesting deeper than this is refused: a hostile payload must not exhaust the stack. */
const MAX_DEPTH = 16;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  const t = typeof value;
  if (t === 'string') {
    const s = value as string;
    return `string ${JSON.stringify(s.length > 20 ? s.slice(0, 20) + '…' : s)}`;
  }
  if (t === 'number' || t === 'boolean') return `${t} ${String(value)}`;
  return t === 'object' ? 'an object' : t;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function toNumber(value: unknown, lenient: boolean): number | undefined {
  if (typeof value === 'number') return value;
  if (lenient && typeof value === 'string' && /^-?(0|[1-9][0-9]{0,20})(\.[0-9]+)?$/.test(value)) return Number(value);
  if (lenient && typeof value === 'string' && /^0[xX][0-9a-fA-F]{1,13}$/.test(value)) return parseInt(value.slice(2), 16);
  return undefined;
}

/** True when every set bit of `value` (a non-negative integer below 2^53) is also set in `mask`. */
function withinMask(value: number, mask: number): boolean {
  const lo = value % 0x1_0000_0000;
  const hi = (value - lo) / 0x1_0000_0000;
  const maskLo = mask % 0x1_0000_0000;
  const maskHi = (mask - maskLo) / 0x1_0000_0000;
  return ((lo & ~maskLo) >>> 0) === 0 && ((hi & ~maskHi) >>> 0) === 0;
}

/** Checks and converts a wire value of `type` (not null: callers handle nullable). */
export function decodeValue(type: TypeInfo, wire: unknown, path: string, options: DecodeOptions, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new ValueError(path, `nested deeper than ${MAX_DEPTH} levels`);
  const lenient = options.lenientScalars ?? false;
  switch (type.kind) {
    case 'bool':
      if (typeof wire === 'boolean') return wire;
      if (lenient && (wire === 'true' || wire === 'false')) return wire === 'true';
      throw new ValueError(path, `expected a boolean, got ${describe(wire)}`);
    case 'int': {
      const n = toNumber(wire, lenient);
      if (n === undefined || !Number.isInteger(n)) throw new ValueError(path, `expected an integer (${type.matterType}), got ${describe(wire)}`);
      if (n < type.min || n > type.max) throw new ValueError(path, `expected ${type.matterType} in ${type.min}..${type.max}, got ${n}`);
      return n;
    }
    case 'float':
    case 'double': {
      const n = toNumber(wire, lenient);
      if (n === undefined || !Number.isFinite(n)) throw new ValueError(path, `expected a finite number (${type.matterType}), got ${describe(wire)}`);
      if (type.kind === 'float' && Math.abs(n) > FLOAT32_MAX) throw new ValueError(path, `expected a single-precision float, got ${n}`);
      if ((type.min !== undefined && n < type.min) || (type.max !== undefined && n > type.max)) {
        throw new ValueError(path, `expected ${type.matterType} in ${type.min ?? '-∞'}..${type.max ?? '∞'}, got ${n}`);
      }
      return n;
    }
    case 'string': {
      if (typeof wire !== 'string') throw new ValueError(path, `expected a string, got ${describe(wire)}`);
      if (type.maxLength !== undefined) {
        const bytes = utf8Length(wire);
        if (bytes > type.maxLength) throw new ValueError(path, `expected at most ${type.maxLength} UTF-8 bytes, got ${bytes}`);
      }
      return wire;
    }
    case 'octets': {
      if (typeof wire !== 'string') throw new ValueError(path, `expected base64 octets, got ${describe(wire)}`);
      let bytes: Uint8Array;
      try {
        bytes = decodeBase64(wire);
      } catch (error) {
        throw new ValueError(path, `expected base64 octets: ${(error as Error).message}`);
      }
      if (type.maxLength !== undefined && bytes.length > type.maxLength) {
        throw new ValueError(path, `expected at most ${type.maxLength} bytes, got ${bytes.length}`);
      }
      return bytes;
    }
    case 'enum': {
      const n = toNumber(wire, lenient);
      if (n === undefined || !Number.isInteger(n)) throw new ValueError(path, `expected a member of ${type.name}, got ${describe(wire)}`);
      if (!type.values.includes(n)) throw new ValueError(path, `expected a member of ${type.name} (${type.values.join(', ')}), got ${n}`);
      return n;
    }
    case 'bitmap': {
      const n = toNumber(wire, lenient);
      if (n === undefined || !Number.isSafeInteger(n) || n < 0) throw new ValueError(path, `expected a ${type.name} bitmap, got ${describe(wire)}`);
      if (!withinMask(n, type.mask)) throw new ValueError(path, `expected only ${type.name} bits (mask 0x${type.mask.toString(16)}), got 0x${n.toString(16)}`);
      return n;
    }
    case 'list': {
      if (!Array.isArray(wire)) throw new ValueError(path, `expected a list, got ${describe(wire)}`);
      if (type.maxLength !== undefined && wire.length > type.maxLength) {
        throw new ValueError(path, `expected at most ${type.maxLength} items, got ${wire.length}`);
      }
      return wire.map((item, i) => {
        if (item === null) throw new ValueError(`${path}[${i}]`, 'expected a value, got null');
        return decodeValue(type.item, item, `${path}[${i}]`, options, depth + 1);
      });
    }
    case 'struct':
      if (!isPlainObject(wire)) throw new ValueError(path, `expected a ${type.name} object, got ${describe(wire)}`);
      return decodeFields(type.fields, wire, path, options, depth + 1);
  }
}

/** Finds a field's wire key: its managed-integrations name, its Matter name, or (Matter form) its id. */
function fieldForKey(fields: readonly FieldInfo[], key: string, form: WireForm): FieldInfo | undefined {
  for (const f of fields) if (f.wireName === key || f.name === key) return f;
  if (form === 'matter') {
    const id = parseId(key);
    if (id !== undefined) for (const f of fields) if (f.id === id) return f;
  }
  return undefined;
}

/**
 * Decodes an object of fields (a struct, a command's request): every key must name a field, every
 * mandatory field must be present, null only where nullable. Returns an object keyed by Matter name.
 */
export function decodeFields(
  fields: readonly FieldInfo[],
  wire: Record<string, unknown>,
  path: string,
  options: DecodeOptions,
  depth = 0,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = path ? path + '.' : '';
  for (const key of Object.keys(wire)) {
    const field = fieldForKey(fields, key, options.form);
    if (!field) throw new ValueError(prefix + key, 'no such field');
    if (Object.prototype.hasOwnProperty.call(out, field.name)) throw new ValueError(prefix + key, 'field given twice');
    const value = wire[key];
    if (value === null) {
      if (!field.nullable) throw new ValueError(prefix + field.wireName, 'expected a value, got null (not nullable)');
      out[field.name] = null;
    } else if (value === undefined) {
      continue;
    } else {
      out[field.name] = decodeValue(field.type, value, prefix + field.wireName, options, depth);
    }
  }
  for (const f of fields) {
    if (!f.optional && !Object.prototype.hasOwnProperty.call(out, f.name)) throw new ValueError(prefix + f.wireName, 'missing mandatory field');
  }
  return out;
}

/** Converts a callback's value of `type` to its wire form, checking it on the way (not null). */
export function encodeValue(type: TypeInfo, value: unknown, path: string, form: WireForm, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new ValueError(path, `nested deeper than ${MAX_DEPTH} levels`);
  switch (type.kind) {
    case 'octets': {
      if (!(value instanceof Uint8Array)) throw new ValueError(path, `expected Uint8Array, got ${describe(value)}`);
      if (type.maxLength !== undefined && value.length > type.maxLength) {
        throw new ValueError(path, `expected at most ${type.maxLength} bytes, got ${value.length}`);
      }
      return encodeBase64(value);
    }
    case 'list': {
      if (!Array.isArray(value)) throw new ValueError(path, `expected a list, got ${describe(value)}`);
      if (type.maxLength !== undefined && value.length > type.maxLength) {
        throw new ValueError(path, `expected at most ${type.maxLength} items, got ${value.length}`);
      }
      return value.map((item, i) => {
        if (item === null || item === undefined) throw new ValueError(`${path}[${i}]`, `expected a value, got ${describe(item)}`);
        return encodeValue(type.item, item, `${path}[${i}]`, form, depth + 1);
      });
    }
    case 'struct':
      if (!isPlainObject(value)) throw new ValueError(path, `expected a ${type.name} object, got ${describe(value)}`);
      return encodeFields(type.fields, value, path, form, depth + 1);
    default:
      // Scalars have the same form on both sides: decoding checks them exactly (strictly typed).
      return decodeValue(type, value, path, { form });
  }
}

/** Encodes an object keyed by Matter field name into its wire form (capability: wireName; Matter: id). */
export function encodeFields(
  fields: readonly FieldInfo[],
  value: Record<string, unknown>,
  path: string,
  form: WireForm,
  depth = 0,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = path ? path + '.' : '';
  for (const key of Object.keys(value)) {
    if (!fields.some((f) => f.name === key)) throw new ValueError(prefix + key, 'no such field');
  }
  for (const f of fields) {
    const v = value[f.name];
    const key = form === 'matter' ? formatFieldId(f.id) : f.wireName;
    if (v === undefined) {
      if (!f.optional) throw new ValueError(prefix + f.name, 'missing mandatory field');
      continue;
    }
    if (v === null) {
      if (!f.nullable) throw new ValueError(prefix + f.name, 'expected a value, got null (not nullable)');
      out[key] = null;
      continue;
    }
    out[key] = encodeValue(f.type, v, prefix + f.name, form, depth);
  }
  return out;
}

/** Decodes a nullable-aware top-level value (an attribute's new value). */
export function decodeNullable(type: TypeInfo, nullable: boolean, wire: unknown, path: string, options: DecodeOptions): unknown {
  if (wire === null) {
    if (!nullable) throw new ValueError(path, 'expected a value, got null (not nullable)');
    return null;
  }
  if (wire === undefined) throw new ValueError(path, 'expected a value, got nothing');
  return decodeValue(type, wire, path, options);
}

/** Encodes a nullable-aware top-level value (an attribute read or report). */
export function encodeNullable(type: TypeInfo, nullable: boolean, value: unknown, path: string, form: WireForm): unknown {
  if (value === null) {
    if (!nullable) throw new ValueError(path, 'expected a value, got null (not nullable)');
    return null;
  }
  if (value === undefined) throw new ValueError(path, 'expected a value, got undefined');
  return encodeValue(type, value, path, form);
}
