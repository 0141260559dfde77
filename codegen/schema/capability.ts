/**
 * Custom capability schemas (managed-integrations JSON, seed "Capability definition schema"): validated
 * by the seed's rules and turned into the same cluster model a `.matter` file gives.
 *
 * Mapping: cluster id = extrinsicId, revision = extrinsicVersion, name = the last segment of the
 * schema identity (`custom.SimpleLighting` → SimpleLighting); properties → attributes (name with the
 * first letter lower-cased, retrievable → READABLE, mutable → WRITABLE); actions → commands with
 * `<Action>Request` / `<Action>Response` (or response.name) structs; events → events (priority from
 * extrinsicProperties.priority, INFO by default). JSON-schema values become the smallest Matter type
 * that holds them (integer 0..254 → int8u, number → single, string → char_string<maxLength>), and
 * their bounds become constraints the metadata carries.
 */
import path from 'node:path';
import type { Cluster, Command, Event, Field, FieldQuality, Struct, ValueConstraint } from '../idl/model.js';
import { lowerFirst } from '../generator/names.js';
import { JsonSource, type Json } from './json-source.js';

export const MAX_SCHEMA_CHARACTERS = 50_000;
/** AWS's vendor id and Matter's (standard clusters): custom capabilities may use neither. */
export const RESERVED_VENDOR_IDS: ReadonlyMap<number, string> = new Map([
  [0x1577, 'AWS'],
  [0x0000, 'Matter'],
]);
const RESERVED_NAMESPACES = new Set(['aws', 'matter']);
const BUILT_IN_ACTIONS = new Set(['ReadState', 'UpdateState']);

export interface LoadedSchema {
  file: string;
  basename: string;
  /** `custom.SimpleLighting@1.0` */
  capabilityId: string;
  extrinsicId: string;
  cluster: Cluster;
  source: JsonSource;
  /** JSON pointers of the schema parts, by model item, for overlay errors. */
  pointers: Map<object, string>;
}

type Obj = { [key: string]: Json };

function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

const EXTRINSIC_ID = /^(?:[0-9]{1,10}|0[xX][0-9a-fA-F]{1,8})$/;
const NAME = /^[A-Za-z][A-Za-z0-9./\- ]*$/;
const ALNUM = /^[A-Za-z0-9]+$/;
const VERSION = /^[0-9]{1,3}\.[0-9]{1,3}(?:\.[0-9]{1,4})?$/;

class SchemaReader {
  readonly pointers = new Map<object, string>();

  constructor(readonly src: JsonSource) {}

  fail(pointer: string, detail: string): never {
    throw this.src.errorAt(pointer, detail);
  }

  obj(v: Json | undefined, pointer: string, what: string): Obj {
    if (!isObj(v)) this.fail(pointer, `found ${describe(v)} for ${what}, expected an object`);
    return v;
  }

  string(o: Obj, key: string, pointer: string, required: boolean): string | undefined {
    const v = o[key];
    if (v === undefined) {
      if (required) this.fail(pointer, `found no "${key}", expected it (required)`);
      return undefined;
    }
    if (typeof v !== 'string') this.fail(`${pointer}/${key}`, `found ${describe(v)} for "${key}", expected a string`);
    return v;
  }

  bool(o: Obj, key: string, pointer: string, fallback: boolean): boolean {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(`${pointer}/${key}`, `found ${describe(v)} for "${key}", expected true or false`);
    return v;
  }

  maxChars(o: Obj, key: string, pointer: string, max: number): string | undefined {
    const s = this.string(o, key, pointer, false);
    if (s !== undefined && [...s].length > max) this.fail(`${pointer}/${key}`, `found a ${key} of ${[...s].length} characters, expected at most ${max}`);
    return s;
  }

  name(o: Obj, pointer: string, what: string): string {
    const s = this.string(o, 'name', pointer, true)!;
    if (!NAME.test(s)) {
      this.fail(`${pointer}/name`, `found ${what} name ${JSON.stringify(s)}, expected letters, digits, '.', '/', '-' and spaces, starting with a letter`);
    }
    if ([...s].length > 64) this.fail(`${pointer}/name`, `found ${what} name of ${[...s].length} characters, expected at most 64`);
    return s;
  }

  extrinsicId(o: Obj, pointer: string, what: string, required = true): number | undefined {
    const s = this.string(o, 'extrinsicId', pointer, required);
    if (s === undefined) return undefined;
    if (!EXTRINSIC_ID.test(s)) {
      this.fail(`${pointer}/extrinsicId`, `found extrinsicId ${JSON.stringify(s)} for ${what}, expected 1-10 decimal digits or 0x and 1-8 hex digits`);
    }
    const n = /^0[xX]/.test(s) ? parseInt(s.slice(2), 16) : Number(s);
    if (n > 0xffff_ffff) this.fail(`${pointer}/extrinsicId`, `found extrinsicId ${s} for ${what}, expected at most 0xFFFFFFFF`);
    return n;
  }

  /** One JSON-schema value (property value or parameter value) → a Matter-typed field. */
  field(name: string, code: number, valueV: Json | undefined, description: string | undefined, pointer: string): Field {
    const value = this.obj(valueV, pointer, `the value of ${name}`);
    const nullable = value.nullable === true;
    if (value.nullable !== undefined && typeof value.nullable !== 'boolean') this.fail(`${pointer}/nullable`, `found ${describe(value.nullable)} for "nullable", expected true or false`);
    const qualities: FieldQuality[] = nullable ? ['NULLABLE'] : [];
    const { type, isList, constraint } = this.valueType(value, pointer, nullable, false);
    const field: Field = {
      code, name: lowerFirst(name), type, isList, qualities, apiMaturity: 'STABLE', description: description ?? null,
      ...(Object.keys(constraint).length ? { constraint } : {}),
    };
    this.pointers.set(field, pointer);
    return field;
  }

  number(value: Obj, key: string, pointer: string): number | undefined {
    const v = value[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number') this.fail(`${pointer}/${key}`, `found ${describe(v)} for "${key}", expected a number`);
    return v;
  }

  valueType(value: Obj, pointer: string, nullable: boolean, inList: boolean): { type: Field['type']; isList: boolean; constraint: ValueConstraint } {
    for (const unsupported of ['oneOf', 'anyOf', 'allOf', 'not', 'enum', 'const']) {
      if (value[unsupported] !== undefined) {
        this.fail(`${pointer}/${unsupported}`, `found "${unsupported}", expected a plain type (boolean, integer, number, string, array) or a $ref to a matter type; mi-codegen does not map "${unsupported}" yet`);
      }
    }
    const constraint: ValueConstraint = {};
    const ref = this.string(value, '$ref', pointer, false);
    if (ref !== undefined) {
      const m = /^\/schema-versions\/definition\/matter\.([A-Za-z0-9_]+)@[0-9.]+$/.exec(ref);
      const matterType = m ? MATTER_REFS[m[1]!] : undefined;
      if (!m || !matterType) {
        this.fail(`${pointer}/$ref`, `found $ref ${JSON.stringify(ref)}, expected /schema-versions/definition/matter.<type>@<version> with a type of ${Object.keys(MATTER_REFS).join(', ')}`);
      }
      const min = this.number(value, 'minimum', pointer);
      const max = this.number(value, 'maximum', pointer);
      const maxLength = this.number(value, 'maxLength', pointer);
      if (min !== undefined) constraint.min = min;
      if (max !== undefined) constraint.max = max;
      if (maxLength !== undefined) constraint.maxLength = maxLength;
      return { type: { name: matterType }, isList: false, constraint };
    }
    const type = this.string(value, 'type', pointer, true)!;
    switch (type) {
      case 'boolean':
        return { type: { name: 'boolean' }, isList: false, constraint };
      case 'integer': {
        const min = this.number(value, 'minimum', pointer);
        const max = this.number(value, 'maximum', pointer);
        if (min !== undefined && !Number.isInteger(min)) this.fail(`${pointer}/minimum`, `found minimum ${min} for an integer, expected an integer`);
        if (max !== undefined && !Number.isInteger(max)) this.fail(`${pointer}/maximum`, `found maximum ${max} for an integer, expected an integer`);
        if (min !== undefined && max !== undefined && min > max) this.fail(`${pointer}/minimum`, `found minimum ${min} above maximum ${max}, expected minimum <= maximum`);
        if (min !== undefined) constraint.min = min;
        if (max !== undefined) constraint.max = max;
        return { type: { name: smallestIntegerType(min, max, nullable && !inList) }, isList: false, constraint };
      }
      case 'number': {
        const min = this.number(value, 'minimum', pointer);
        const max = this.number(value, 'maximum', pointer);
        if (min !== undefined) constraint.min = min;
        if (max !== undefined) constraint.max = max;
        return { type: { name: 'single' }, isList: false, constraint };
      }
      case 'string': {
        const maxLength = this.number(value, 'maxLength', pointer);
        if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 0)) {
          this.fail(`${pointer}/maxLength`, `found maxLength ${maxLength}, expected a non-negative integer`);
        }
        const octets = value.contentEncoding === 'base64' || value.format === 'byte';
        return { type: { name: octets ? 'octet_string' : 'char_string', ...(maxLength !== undefined ? { maxLength } : {}) }, isList: false, constraint };
      }
      case 'array': {
        if (inList) this.fail(`${pointer}/type`, 'found an array of arrays, expected list items of a plain type (Matter has no nested lists)');
        const items = this.obj(value.items, `${pointer}/items`, '"items"');
        const inner = this.valueType(items, `${pointer}/items`, false, true);
        const maxItems = this.number(value, 'maxItems', pointer);
        if (maxItems !== undefined) inner.constraint.maxItems = maxItems;
        return { type: inner.type, isList: true, constraint: inner.constraint };
      }
      default:
        return this.fail(`${pointer}/type`, `found type ${JSON.stringify(type)}, expected boolean, integer, number, string or array (objects need a $ref)`);
    }
  }

  parameters(container: Json | undefined, pointer: string, what: string): Field[] {
    if (container === undefined) return [];
    const c = this.obj(container, pointer, what);
    const paramsV = c.parameters;
    if (paramsV === undefined) this.fail(pointer, `found no "parameters" in ${what}, expected it (required)`);
    const params = this.obj(paramsV, `${pointer}/parameters`, `the parameters of ${what}`);
    const fields: Field[] = [];
    const ids = new Map<number, string>();
    for (const [name, pv] of Object.entries(params)) {
      const pp = `${pointer}/parameters/${name}`;
      if (!ALNUM.test(name)) this.fail(pp, `found parameter name ${JSON.stringify(name)}, expected letters and digits only`);
      const p = this.obj(pv, pp, `parameter ${name}`);
      const code = this.extrinsicId(p, pp, `parameter ${name}`)!;
      const prior = ids.get(code);
      if (prior) this.fail(`${pp}/extrinsicId`, `found extrinsicId ${code} on parameter ${name}, expected it unique (${prior} has it)`);
      ids.set(code, name);
      const description = this.maxChars(p, 'description', pp, 1024);
      fields.push(this.field(name, code, p.value, description, pp));
    }
    return fields;
  }
}

/** Matter types a `$ref` may name (managed-integrations `matter.<type>` definitions). */
const MATTER_REFS: Record<string, string> = {
  bool: 'boolean', boolean: 'boolean',
  uint8: 'int8u', uint16: 'int16u', uint24: 'int24u', uint32: 'int32u', uint64: 'int64u',
  int8: 'int8s', int16: 'int16s', int24: 'int24s', int32: 'int32s', int64: 'int64s',
  single: 'single', double: 'double', string: 'char_string', octstr: 'octet_string',
  percent: 'percent', percent100ths: 'percent100ths', epoch_s: 'epoch_s', elapsed_s: 'elapsed_s',
  temperature: 'temperature', enum8: 'enum8', enum16: 'enum16', bitmap8: 'bitmap8', bitmap16: 'bitmap16',
  bitmap32: 'bitmap32',
};

function smallestIntegerType(min: number | undefined, max: number | undefined, nullable: boolean): string {
  const sentinel = nullable ? 1 : 0;
  if (min !== undefined && min >= 0) {
    for (const bits of [8, 16, 32]) if ((max ?? 2 ** 32 - 1 - sentinel) <= 2 ** bits - 1 - sentinel) return `int${bits}u`;
    return 'int64u';
  }
  for (const bits of [8, 16, 32]) {
    const lo = -(2 ** (bits - 1)) + sentinel;
    const hi = 2 ** (bits - 1) - 1;
    if ((min ?? -(2 ** 31) + sentinel) >= lo && (max ?? 2 ** 31 - 1) <= hi) return `int${bits}s`;
  }
  return 'int64s';
}

/** Reads and validates a capability schema document. */
export function loadCapabilitySchema(text: string, file: string): LoadedSchema {
  const src = new JsonSource(text, file);
  const r: SchemaReader = new SchemaReader(src);
  const chars = [...text].length;
  if (chars > MAX_SCHEMA_CHARACTERS) r.fail('', `found a schema document of ${chars} characters, expected at most ${MAX_SCHEMA_CHARACTERS}`);
  const root = r.obj(src.value, '', 'the schema document');

  const id = r.string(root, '$id', '', true)!;
  const idMatch = /^\/schema-versions\/capability\/([A-Za-z0-9.]+)@([0-9.]+)$/.exec(id);
  if (!idMatch) {
    r.fail('/$id', `found $id ${JSON.stringify(id)}, expected /schema-versions/capability/<namespace>[.<sub>].<Name>@<major>.<minor>[.<patch>]`);
  }
  const identity = idMatch[1]!;
  const version = idMatch[2]!;
  const segments = identity.split('.');
  if (segments.length < 2 || segments.some((s) => s.length === 0)) {
    r.fail('/$id', `found schema identity ${JSON.stringify(identity)}, expected <namespace>[.<sub>].<Name> with non-empty parts`);
  }
  const namespace = segments[0]!;
  if (namespace.length < 3 || namespace.length > 12) {
    r.fail('/$id', `found root namespace ${JSON.stringify(namespace)} of ${namespace.length} characters, expected 3 to 12`);
  }
  if (RESERVED_NAMESPACES.has(namespace.toLowerCase())) {
    r.fail('/$id', `found reserved namespace ${JSON.stringify(namespace)}, expected a namespace other than aws and matter`);
  }
  if (!VERSION.test(version)) {
    r.fail('/$id', `found version ${JSON.stringify(version)} in $id, expected <major>.<minor>[.<patch>] with at most 3, 3 and 4 digits`);
  }
  const clusterName = segments[segments.length - 1]!;
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(clusterName)) {
    r.fail('/$id', `found capability name ${JSON.stringify(clusterName)}, expected letters and digits starting with a letter`);
  }

  r.name(root, '', 'capability');
  r.maxChars(root, 'title', '', 256);
  const description = r.maxChars(root, 'description', '', 2048);
  const docVersion = r.string(root, 'version', '', false);
  if (docVersion !== undefined && (!VERSION.test(docVersion) || docVersion.length < 3 || docVersion.length > 12)) {
    r.fail('/version', `found version ${JSON.stringify(docVersion)}, expected <major>.<minor>[.<patch>] with at most 3, 3 and 4 digits`);
  }
  const extrinsicId = r.string(root, 'extrinsicId', '', true)!;
  const code = r.extrinsicId(root, '', 'the capability')!;
  const vendor = Math.floor(code / 0x1_0000);
  const reserved = RESERVED_VENDOR_IDS.get(vendor);
  if (reserved !== undefined) {
    r.fail('/extrinsicId', `found extrinsicId ${extrinsicId} with vendor id 0x${vendor.toString(16).toUpperCase().padStart(4, '0')} (reserved for ${reserved}), expected a vendor-specific cluster id (vendor id other than 0x1577 and 0)`);
  }
  const extrinsicVersion = r.string(root, 'extrinsicVersion', '', true)!;
  if (!/^[0-9]{1,10}$/.test(extrinsicVersion)) {
    r.fail('/extrinsicVersion', `found extrinsicVersion ${JSON.stringify(extrinsicVersion)}, expected 1-10 decimal digits`);
  }

  const cluster: Cluster = {
    code, name: clusterName, revision: Number(extrinsicVersion), apiMaturity: 'STABLE', description: description ?? null,
    enums: [], bitmaps: [], structs: [], attributes: [], commands: [], events: [],
  };

  // Properties → attributes.
  const attributeIds = new Map<number, string>();
  if (root.properties !== undefined) {
    const props = r.obj(root.properties, '/properties', '"properties"');
    for (const [name, pv] of Object.entries(props)) {
      const pp = `/properties/${name}`;
      if (!ALNUM.test(name)) r.fail(pp, `found property name ${JSON.stringify(name)}, expected letters and digits only`);
      const p = r.obj(pv, pp, `property ${name}`);
      const pcode = r.extrinsicId(p, pp, `property ${name}`)!;
      const prior = attributeIds.get(pcode);
      if (prior) r.fail(`${pp}/extrinsicId`, `found extrinsicId ${pcode} on property ${name}, expected it unique (${prior} has it)`);
      attributeIds.set(pcode, name);
      const readable = r.bool(p, 'retrievable', pp, true);
      const writable = r.bool(p, 'mutable', pp, false);
      r.bool(p, 'reportable', pp, true);
      if (!readable && !writable) r.fail(pp, `found property ${name} neither retrievable nor mutable, expected at least one`);
      if (p.value === undefined) r.fail(pp, `found no "value" in property ${name}, expected it (required)`);
      const definition = r.field(name, pcode, p.value, r.string(p, 'description', pp, false), `${pp}/value`);
      const attribute = {
        definition,
        qualities: [...(readable ? ['READABLE' as const] : []), ...(writable ? ['WRITABLE' as const] : [])],
        readAcl: 'VIEW' as const, writeAcl: 'OPERATE' as const, apiMaturity: 'STABLE' as const,
      };
      r.pointers.set(attribute, pp);
      cluster.attributes.push(attribute);
    }
  }

  // Actions → commands.
  if (root.actions !== undefined) {
    if (!Array.isArray(root.actions)) r.fail('/actions', `found ${describe(root.actions)} for "actions", expected an array`);
    const names = new Set<string>();
    const ids = new Map<number, string>();
    root.actions.forEach((av, i) => {
      const ap = `/actions/${i}`;
      const a = r.obj(av, ap, `action ${i}`);
      const name = r.name(a, ap, 'action');
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) r.fail(`${ap}/name`, `found action name ${JSON.stringify(name)}, expected letters and digits (it names a command)`);
      if (BUILT_IN_ACTIONS.has(name)) r.fail(`${ap}/name`, `found action name ${name}, expected a name other than the built-in actions ReadState and UpdateState`);
      if (names.has(name)) r.fail(`${ap}/name`, `found action ${name} a second time, expected unique actions`);
      names.add(name);
      const acode = r.extrinsicId(a, ap, `action ${name}`)!;
      const prior = ids.get(acode);
      if (prior) r.fail(`${ap}/extrinsicId`, `found extrinsicId ${acode} on action ${name}, expected it unique (${prior} has it)`);
      ids.set(acode, name);
      const description = r.maxChars(a, 'description', ap, 1536);
      const requestFields = r.parameters(a.request, `${ap}/request`, `the request of ${name}`);
      const responseFields = r.parameters(a.response, `${ap}/response`, `the response of ${name}`);
      let input: string | null = null;
      if (requestFields.length) {
        const s: Struct = {
          kind: 'struct', name: `${name}Request`, tag: 'REQUEST', code: null, qualities: [], isGlobal: false, isShared: false,
          apiMaturity: 'STABLE', description: null, fields: requestFields,
        };
        r.pointers.set(s, `${ap}/request`);
        cluster.structs.push(s);
        input = s.name;
      }
      let output = 'DefaultSuccess';
      if (responseFields.length) {
        const resp = r.obj(a.response, `${ap}/response`, 'the response');
        const responseName = resp.name === undefined ? `${name}Response` : r.name(resp, `${ap}/response`, 'response');
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(responseName)) r.fail(`${ap}/response/name`, `found response name ${JSON.stringify(responseName)}, expected letters and digits`);
        const rcode = r.extrinsicId(resp, `${ap}/response`, `the response of ${name}`, false) ?? acode;
        const s: Struct = {
          kind: 'struct', name: responseName, tag: 'RESPONSE', code: rcode, qualities: [], isGlobal: false, isShared: false,
          apiMaturity: 'STABLE', description: null, fields: responseFields,
        };
        r.pointers.set(s, `${ap}/response`);
        cluster.structs.push(s);
        output = s.name;
      }
      const command: Command = {
        code: acode, name, input, output, qualities: [], invokeAcl: 'OPERATE', apiMaturity: 'STABLE', description: description ?? null,
      };
      r.pointers.set(command, ap);
      cluster.commands.push(command);
    });
  }

  // Events.
  if (root.events !== undefined) {
    if (!Array.isArray(root.events)) r.fail('/events', `found ${describe(root.events)} for "events", expected an array`);
    const names = new Set<string>();
    const ids = new Map<number, string>();
    root.events.forEach((ev, i) => {
      const ep = `/events/${i}`;
      const e = r.obj(ev, ep, `event ${i}`);
      const name = r.name(e, ep, 'event');
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) r.fail(`${ep}/name`, `found event name ${JSON.stringify(name)}, expected letters and digits (it names an event)`);
      if (names.has(name)) r.fail(`${ep}/name`, `found event ${name} a second time, expected unique events`);
      names.add(name);
      const ecode = r.extrinsicId(e, ep, `event ${name}`)!;
      const prior = ids.get(ecode);
      if (prior) r.fail(`${ep}/extrinsicId`, `found extrinsicId ${ecode} on event ${name}, expected it unique (${prior} has it)`);
      ids.set(ecode, name);
      const description = r.maxChars(e, 'description', ep, 512);
      let priority: Event['priority'] = 'INFO';
      if (e.extrinsicProperties !== undefined) {
        const xp = r.obj(e.extrinsicProperties, `${ep}/extrinsicProperties`, '"extrinsicProperties"');
        const pr = r.string(xp, 'priority', `${ep}/extrinsicProperties`, false);
        if (pr !== undefined) {
          const up = pr.toUpperCase();
          if (up !== 'DEBUG' && up !== 'INFO' && up !== 'CRITICAL') r.fail(`${ep}/extrinsicProperties/priority`, `found priority ${JSON.stringify(pr)}, expected debug, info or critical`);
          priority = up as Event['priority'];
        }
      }
      const event: Event = {
        code: ecode, name, priority, readAcl: 'VIEW', qualities: [], apiMaturity: 'STABLE', description: description ?? null,
        fields: r.parameters(e.request, `${ep}/request`, `the request of event ${name}`),
      };
      r.pointers.set(event, ep);
      cluster.events.push(event);
    });
  }

  if (cluster.attributes.length + cluster.commands.length + cluster.events.length === 0) {
    r.fail('', 'found no properties, actions or events, expected at least one element in one of them');
  }
  return {
    file, basename: path.basename(file), capabilityId: `${identity}@${version}`, extrinsicId, cluster, source: src, pointers: r.pointers,
  };
}

// ---- schema over .matter --------------------------------------------------------------------

function overlayFields(schema: LoadedSchema, target: Field[], from: Field[], where: string, matterFile: string): void {
  const ptr = (o: object) => schema.pointers.get(o) ?? '';
  for (const sf of from) {
    const mf = target.find((f) => String(f.code) === String(sf.code));
    if (!mf) throw schema.source.errorAt(ptr(sf), `found ${where} field ${sf.name} (${sf.code}) in the schema, expected ${matterFile} to define it too`);
    if (mf.name !== sf.name) throw schema.source.errorAt(ptr(sf), `found ${where} field ${sf.name} with id ${sf.code}, expected the name ${mf.name} that ${matterFile} gives it`);
    if (mf.qualities.includes('NULLABLE') !== sf.qualities.includes('NULLABLE')) {
      throw schema.source.errorAt(ptr(sf), `found ${where} field ${sf.name} ${sf.qualities.includes('NULLABLE') ? '' : 'not '}nullable, expected it to match ${matterFile}`);
    }
    if (mf.isList !== sf.isList) throw schema.source.errorAt(ptr(sf), `found ${where} field ${sf.name} ${sf.isList ? '' : 'not '}a list, expected it to match ${matterFile}`);
    if (sf.constraint) mf.constraint = { ...sf.constraint };
    if (sf.description) mf.description = sf.description;
  }
  for (const mf of target) {
    if (!from.some((sf) => String(sf.code) === String(mf.code))) {
      throw schema.source.errorAt('', `found no ${where} field with id ${mf.code} (${mf.name}) in the schema, expected it as ${matterFile} defines it`);
    }
  }
}

/**
 * Applies a custom schema to the `.matter` definition of the same vendor cluster: the schema's
 * capability id, descriptions and value bounds win; both must describe the same ids and names.
 */
export function overlaySchemaOnCluster(schema: LoadedSchema, cluster: Cluster, matterFile: string): void {
  const s = schema.cluster;
  const src = schema.source;
  const ptr = (o: object) => schema.pointers.get(o) ?? '';
  const m = path.basename(matterFile);
  if (s.name !== cluster.name) throw src.errorAt('/$id', `found capability name ${s.name} for cluster id ${schema.extrinsicId}, expected ${cluster.name} as ${m} names it`);
  if (String(s.revision) !== String(cluster.revision)) {
    throw src.errorAt('/extrinsicVersion', `found extrinsicVersion ${s.revision}, expected ${cluster.revision} (the revision of ${cluster.name} in ${m})`);
  }
  if (s.description) cluster.description = s.description;
  for (const sa of s.attributes) {
    const ma = cluster.attributes.find((a) => String(a.definition.code) === String(sa.definition.code));
    if (!ma) throw src.errorAt(ptr(sa), `found property ${sa.definition.name} (${sa.definition.code}), expected ${m} to define attribute ${sa.definition.code} of ${cluster.name}`);
    for (const q of ['READABLE', 'WRITABLE'] as const) {
      if (ma.qualities.includes(q) !== sa.qualities.includes(q)) {
        throw src.errorAt(ptr(sa), `found property ${sa.definition.name} ${sa.qualities.includes(q) ? '' : 'not '}${q === 'READABLE' ? 'retrievable' : 'mutable'}, expected it to match attribute ${ma.definition.name} in ${m}`);
      }
    }
    overlayFields(schema, [ma.definition], [sa.definition], 'property', m);
  }
  for (const ma of cluster.attributes) {
    // ZAP adds Matter's global attributes (0xFFF8..0xFFFE: command/attribute/event lists, featureMap,
    // clusterRevision) to every cluster; a capability schema need not list them.
    if (Number(ma.definition.code) >= 0xfff8 && Number(ma.definition.code) <= 0xfffe) continue;
    if (!s.attributes.some((sa) => String(sa.definition.code) === String(ma.definition.code))) {
      throw src.errorAt('/properties', `found no property with extrinsicId ${ma.definition.code}, expected one for attribute ${ma.definition.name} of ${m}`);
    }
  }
  const structOf = (c: Cluster, name: string | null) => (name ? c.structs.find((x) => x.name === name) : undefined);
  for (const sc of s.commands) {
    const mc = cluster.commands.find((c) => String(c.code) === String(sc.code));
    if (!mc || mc.name !== sc.name) throw src.errorAt(ptr(sc), `found action ${sc.name} (${sc.code}), expected ${m} to define command ${sc.name} with that id`);
    if (sc.description) mc.description = sc.description;
    overlayFields(schema, structOf(cluster, mc.input)?.fields ?? [], structOf(s, sc.input)?.fields ?? [], `action ${sc.name} request`, m);
    const mo = mc.output === 'DefaultSuccess' ? undefined : structOf(cluster, mc.output);
    const so = sc.output === 'DefaultSuccess' ? undefined : structOf(s, sc.output);
    if ((mo === undefined) !== (so === undefined) || (mo && so && mo.name !== so.name)) {
      throw src.errorAt(ptr(sc), `found action ${sc.name} answering ${sc.output}, expected ${mc.output} as in ${m}`);
    }
    overlayFields(schema, mo?.fields ?? [], so?.fields ?? [], `action ${sc.name} response`, m);
  }
  for (const mc of cluster.commands) {
    if (!s.commands.some((sc) => String(sc.code) === String(mc.code))) throw src.errorAt('/actions', `found no action with extrinsicId ${mc.code}, expected one for command ${mc.name} of ${m}`);
  }
  for (const se of s.events) {
    const me = cluster.events.find((e) => String(e.code) === String(se.code));
    if (!me || me.name !== se.name) throw src.errorAt(ptr(se), `found event ${se.name} (${se.code}), expected ${m} to define event ${se.name} with that id`);
    if (se.description) me.description = se.description;
    overlayFields(schema, me.fields, se.fields, `event ${se.name}`, m);
  }
  for (const me of cluster.events) {
    if (!s.events.some((se) => String(se.code) === String(me.code))) throw src.errorAt('/events', `found no event with extrinsicId ${me.code}, expected one for event ${me.name} of ${m}`);
  }
}
