/**
 * The canonical JSON of ../shared/matter/README.md: snake_case keys sorted when printed, lists in
 * source order, integers exact (bigint digits, never through a double), formatted like Python's
 * `json.dumps(indent=2, sort_keys=True)` so a dump can be compared with the oracle files byte for byte.
 */
import type { Attribute, Bitmap, Cluster, Command, ConstantEntry, Endpoint, Enum, Event, Field, Idl, Struct } from './model.js';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

function field(f: Field): JsonValue {
  const type: { [key: string]: JsonValue } = { name: f.type.name };
  if (f.type.maxLength !== undefined) type.max_length = f.type.maxLength;
  return {
    code: f.code, name: f.name, type, is_list: f.isList, qualities: f.qualities,
    api_maturity: f.apiMaturity, description: f.description,
  };
}

function entry(e: ConstantEntry): JsonValue {
  return { name: e.name, code: e.code, api_maturity: e.apiMaturity, spec_name: e.specName, description: e.description };
}

function enumOrBitmap(e: Enum | Bitmap): JsonValue {
  return {
    name: e.name, base_type: e.baseType, is_global: e.isGlobal, is_shared: e.isShared,
    api_maturity: e.apiMaturity, description: e.description, entries: e.entries.map(entry),
  };
}

function struct(s: Struct): JsonValue {
  return {
    name: s.name, tag: s.tag, code: s.code, qualities: s.qualities, is_global: s.isGlobal, is_shared: s.isShared,
    api_maturity: s.apiMaturity, description: s.description, fields: s.fields.map(field),
  };
}

function attribute(a: Attribute): JsonValue {
  const d = a.definition;
  const type: { [key: string]: JsonValue } = { name: d.type.name };
  if (d.type.maxLength !== undefined) type.max_length = d.type.maxLength;
  return {
    code: d.code, name: d.name, type, is_list: d.isList, field_qualities: d.qualities, qualities: a.qualities,
    readacl: a.readAcl, writeacl: a.writeAcl, default: null, api_maturity: a.apiMaturity, description: d.description,
  };
}

function command(c: Command): JsonValue {
  return {
    code: c.code, name: c.name, input: c.input, output: c.output, qualities: c.qualities, invokeacl: c.invokeAcl,
    api_maturity: c.apiMaturity, description: c.description,
  };
}

function event(e: Event): JsonValue {
  return {
    code: e.code, name: e.name, priority: e.priority, readacl: e.readAcl, qualities: e.qualities,
    api_maturity: e.apiMaturity, description: e.description, fields: e.fields.map(field),
  };
}

export function clusterToJson(c: Cluster): JsonValue {
  return {
    code: c.code, name: c.name, revision: c.revision, api_maturity: c.apiMaturity, description: c.description,
    enums: c.enums.map(enumOrBitmap), bitmaps: c.bitmaps.map(enumOrBitmap), structs: c.structs.map(struct),
    attributes: c.attributes.map(attribute), commands: c.commands.map(command), events: c.events.map(event),
  };
}

function endpoint(e: Endpoint): JsonValue {
  return {
    number: e.number,
    device_types: e.deviceTypes.map((d) => ({ name: d.name, code: d.code, version: d.version })),
    client_bindings: e.clientBindings,
    server_clusters: e.serverClusters.map((s) => ({
      name: s.name,
      attributes: s.attributes.map((a) => ({ name: a.name, storage: a.storage, default: a.default })),
      commands: s.commands,
      events_emitted: [...s.eventsEmitted].sort(),
    })),
  };
}

export function idlToJson(idl: Idl): JsonValue {
  return {
    global_enums: idl.globalEnums.map(enumOrBitmap),
    global_bitmaps: idl.globalBitmaps.map(enumOrBitmap),
    global_structs: idl.globalStructs.map(struct),
    clusters: idl.clusters.map(clusterToJson),
    endpoints: idl.endpoints.map(endpoint),
  };
}

const SIMPLE = /^[ !#-\[\]-~]*$/;
const NON_ASCII = /[\u007f-\uffff]/g;

function quote(s: string): string {
  if (SIMPLE.test(s)) return `"${s}"`; // printable ASCII without " or \: nothing to escape
  // Python's ensure_ascii: everything outside printable ASCII as \uXXXX (UTF-16 units).
  return JSON.stringify(s).replace(NON_ASCII, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Prints sorted keys, two-space indent, exact integers. `indent` < 0 prints on one line. */
export function printCanonicalJson(value: JsonValue, indent = 2): string {
  const out: string[] = [];
  const nl = indent >= 0;
  const write = (v: JsonValue, depth: number): void => {
    if (v === null) out.push('null');
    else if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
    else if (typeof v === 'bigint') out.push(v.toString());
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new RangeError(`cannot print ${v} as JSON`);
      out.push(Number.isInteger(v) ? v.toFixed(0) : String(v));
    } else if (typeof v === 'string') out.push(quote(v));
    else if (Array.isArray(v)) {
      if (v.length === 0) return void out.push('[]');
      const pad = nl ? '\n' + ' '.repeat(indent * (depth + 1)) : '';
      out.push('[');
      v.forEach((item, i) => {
        out.push(i === 0 ? pad : ',' + (nl ? pad : ' '));
        write(item, depth + 1);
      });
      out.push(nl ? '\n' + ' '.repeat(indent * depth) + ']' : ']');
    } else {
      const keys = Object.keys(v).sort();
      if (keys.length === 0) return void out.push('{}');
      const pad = nl ? '\n' + ' '.repeat(indent * (depth + 1)) : '';
      out.push('{');
      keys.forEach((k, i) => {
        out.push(i === 0 ? pad : ',' + (nl ? pad : ' '));
        out.push(quote(k), ': ');
        write(v[k]!, depth + 1);
      });
      out.push(nl ? '\n' + ' '.repeat(indent * depth) + '}' : '}');
    }
  };
  write(value, 0);
  return out.join('');
}

/** A structural identity of a cluster (before doc comments apply), for duplicate detection. */
export function canonicalClusterKey(c: Cluster): string {
  return printCanonicalJson(clusterToJson(c), -1);
}
