/** The .matter grammar feature by feature, and errors that name file:line:column. */
import { describe, expect, it } from 'vitest';
import { CodegenInputError } from '../../codegen/errors.js';
import { idlToJson, parseMatterIdl, printCanonicalJson } from '../../codegen/idl/index.js';

const parse = (text: string) => parseMatterIdl(text, 'test.matter');
const json = (text: string) => JSON.parse(printCanonicalJson(idlToJson(parse(text))));

function parseError(text: string): CodegenInputError {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(CodegenInputError);
    return error as CodegenInputError;
  }
  throw new Error('expected a parse error');
}

describe('.matter grammar', () => {
  it('reads attribute qualities, ACLs and default read/write privileges', () => {
    const c = parse(`cluster A = 0x10 {
      readonly attribute int8u r = 0;
      writeonly attribute optional int8u w = 1;
      timedwrite nosubscribe attribute access(read: manage, write: administer) nullable char_string<32> t = 2;
      attribute boolean rw = 3;
    }`).clusters[0]!;
    expect(c.code).toBe(16);
    expect(c.revision).toBe(1);
    expect(c.attributes.map((a) => a.qualities)).toEqual([
      ['READABLE'], ['WRITABLE'], ['READABLE', 'WRITABLE', 'NOSUBSCRIBE', 'TIMED_WRITE'], ['READABLE', 'WRITABLE'],
    ]);
    expect(c.attributes[1]!.definition.qualities).toEqual(['OPTIONAL']);
    expect(c.attributes[2]!).toMatchObject({ readAcl: 'MANAGE', writeAcl: 'ADMINISTER' });
    expect(c.attributes[2]!.definition.type).toEqual({ name: 'char_string', maxLength: 32 });
    expect(c.attributes[3]!).toMatchObject({ readAcl: 'VIEW', writeAcl: 'OPERATE' });
  });

  it('reads commands: qualities in flag order, optional, invoke ACL, DefaultSuccess', () => {
    const c = json(`cluster A = 1 {
      request struct DoRequest { int8u x = 0; }
      response struct DoResponse = 5 { optional nullable fabric_sensitive int8u y = 0; }
      fabric timed optional command access(invoke: administer) Do(DoRequest): DoResponse = 4;
      command Ping(): DefaultSuccess = 6;
    }`).clusters[0];
    expect(c.commands[0]).toMatchObject({ name: 'Do', input: 'DoRequest', output: 'DoResponse', code: 4, invokeacl: 'ADMINISTER', qualities: ['TIMED_INVOKE', 'FABRIC_SCOPED', 'OPTIONAL'] });
    expect(c.commands[1]).toMatchObject({ input: null, output: 'DefaultSuccess', invokeacl: 'OPERATE', qualities: [] });
    expect(c.structs.map((s: { tag: string; code: number }) => [s.tag, s.code])).toEqual([['REQUEST', null], ['RESPONSE', 5]]);
    expect(c.structs[1].fields[0].qualities).toEqual(['OPTIONAL', 'NULLABLE', 'FABRIC_SENSITIVE']);
  });

  it('reads events with priority, fabric_sensitive, optional and read ACL', () => {
    const c = json(`cluster A = 1 {
      fabric_sensitive critical optional event access(read: manage) Boom = 2 { int8u level = 1; }
      debug event Quiet = 3 {}
    }`).clusters[0];
    expect(c.events[0]).toMatchObject({ name: 'Boom', code: 2, priority: 'CRITICAL', readacl: 'MANAGE', qualities: ['FABRIC_SENSITIVE', 'OPTIONAL'] });
    expect(c.events[1]).toMatchObject({ priority: 'DEBUG', readacl: 'VIEW', qualities: [], fields: [] });
  });

  it('reads maturity prefixes, shared and fabric_scoped types, spec names and lists', () => {
    const c = json(`internal server cluster A = 1 {
      revision 7;
      shared enum E : enum8 { kA = 0; provisional kB = 1 [spec_name = "B thing"]; }
      deprecated bitmap F : bitmap64 { kTop = 0x4000000000000000; }
      fabric_scoped struct S { deprecated int16u items[] = 0; fabric_idx fabricIndex = 254; }
      provisional attribute S s[] = 0;
    }`).clusters[0];
    expect(c).toMatchObject({ api_maturity: 'INTERNAL', revision: 7 });
    expect(c.enums[0]).toMatchObject({ is_shared: true, api_maturity: 'STABLE' });
    expect(c.enums[0].entries[1]).toMatchObject({ api_maturity: 'PROVISIONAL', spec_name: 'B thing' });
    expect(c.bitmaps[0].api_maturity).toBe('DEPRECATED');
    expect(c.structs[0]).toMatchObject({ qualities: ['FABRIC_SCOPED'], tag: null });
    expect(c.structs[0].fields[0]).toMatchObject({ is_list: true, api_maturity: 'DEPRECATED' });
    expect(c.attributes[0]).toMatchObject({ is_list: true, api_maturity: 'PROVISIONAL' });
    // bitmap64 constant printed from its digits
    expect(printCanonicalJson(idlToJson(parse(`cluster A = 1 { bitmap F : bitmap64 { kTop = 0x4000000000000001; } }`)))).toContain('4611686018427387905');
  });

  it('matches most keywords in any case, keeps keywords usable as names, exact-case ones stay exact', () => {
    const c = json(`CLUSTER Bool = 1 {
      REVISION 2;
      STRUCT struct { BOOLEAN boolean = 0; }
      READONLY ATTRIBUTE struct attribute = 0;
      COMMAND command(): DefaultSuccess = 0;
      INFO event event = 0 { int8u info = 0; }
    }`).clusters[0];
    expect(c.revision).toBe(2);
    expect(c.structs[0].name).toBe('struct');
    expect(c.structs[0].fields[0]).toMatchObject({ name: 'boolean', type: { name: 'BOOLEAN' } });
    expect(c.attributes[0]).toMatchObject({ name: 'attribute', type: { name: 'struct' }, qualities: ['READABLE'] });
    expect(c.commands[0].name).toBe('command');
    expect(c.events[0].fields[0].name).toBe('info');
    // `event` must be lower case
    expect(parseError('cluster A = 1 { info EVENT E = 0 {} }').message).toMatch(/^test\.matter:1:22: found 'EVENT', expected 'event'$/);
    // `client`/`server` before cluster are exact
    expect(parseError('SERVER cluster A = 1 {}').message).toMatch(/^test\.matter:1:1: found 'SERVER', expected struct, enum, bitmap, cluster or endpoint$/);
  });

  it('attaches /** */ comments as descriptions the way upstream does', () => {
    const c = json(`/** The cluster. */
    cluster A = 1 {
      /**   Kept   as   written \n  inside.  */
      attribute int8u a = 0;
      /** A command. */ command C(): DefaultSuccess = 1;
      /** On the maturity, so nowhere. */
      provisional attribute int8u b = 2;
      struct S {
        /** A field. */
        int8u f = 0;
        /** Before a quality: upstream's field rule starts at the type, so nowhere. */
        optional int8u g = 1;
      }
      /* plain comment */ attribute int8u c = 3;
      enum E : enum8 { /** An entry. */ kX = 0; }
      /** An event. */ info event Ev = 1 {}
    }
    /** Globals take none. */
    struct G { int8u x = 0; }`);
    const cl = c.clusters[0];
    expect(cl.description).toBe('The cluster.');
    expect(cl.attributes[0].description).toBe('Kept   as   written \n  inside.');
    expect(cl.commands[0].description).toBe('A command.');
    expect(cl.attributes[1].description).toBeNull();
    expect(cl.structs[0].fields.map((f: { description: string | null }) => f.description)).toEqual(['A field.', null]);
    expect(cl.attributes[2].description).toBeNull();
    expect(cl.enums[0].entries[0].description).toBe('An entry.');
    expect(cl.events[0].description).toBe('An event.');
    expect(c.global_structs[0].description).toBeNull();
  });

  it('doc comment edge cases: revision, form feed, inside the attribute rule, characters beyond U+00FF', () => {
    const c = json(`cluster A = 1 {
      /** On revision, so nowhere. */
      revision 2;
      /** Before a form feed, so nowhere. */\f attribute int8u a = 0;
      attribute /** At the type: the attribute rule starts earlier, so nowhere. */ int8u b = 1;
      /** ‘Quoted’ — kept as written. */ attribute int8u c = 2;
      /** First. */
      /** Second: the first ends before it, so only this one describes d. */
      attribute int8u d = 3;
    }`);
    const cl = c.clusters[0];
    expect(cl.revision).toBe(2);
    expect(cl.description).toBeNull();
    expect(cl.attributes.map((a: { description: string | null }) => a.description)).toEqual([
      null, null, '‘Quoted’ — kept as written.', 'Second: the first ends before it, so only this one describes d.',
    ]);
    expect(parseError('cluster A = 1 { ‘ }').message).toBe('test.matter:1:17: unexpected character "‘"');
    // A wide character inside a string or comment neither ends nor opens anything.
    expect(json('endpoint 1 { server cluster X { ram attribute a default = "\u2022/*"; } } // \u2a2f').endpoints[0].server_clusters[0].attributes[0].default)
      .toBe('â\x80¢/*');
  });

  it('merges referenced globals into clusters recursively; a local type shadows a global one', () => {
    const idl = json(`
      enum GE : enum8 { kA = 0; }
      struct GS { GE e = 0; }
      struct Shadowed { int8u global = 0; }
      cluster A = 1 {
        struct Shadowed { int8u local = 0; }
        attribute GS gs = 0;
        attribute Shadowed sh = 1;
      }
      cluster B = 2 { attribute int8u x = 0; }`);
    const a = idl.clusters[0];
    expect(a.structs.map((s: { name: string; is_global: boolean }) => [s.name, s.is_global])).toEqual([['GS', true], ['Shadowed', false]]);
    expect(a.enums.map((e: { name: string; is_global: boolean }) => [e.name, e.is_global])).toEqual([['GE', true]]);
    expect(idl.clusters[1].structs).toEqual([]);
    expect(idl.global_enums[0].is_global).toBe(true);
  });

  it('drops an identical duplicate cluster and refuses a different one', () => {
    const one = 'cluster A = 1 { attribute int8u x = 0; }';
    expect(parse(`${one}\n${one}`).clusters).toHaveLength(1);
    expect(parseError(`${one}\ncluster A = 1 { attribute int16u x = 0; }`).message).toMatch(/^test\.matter:2:1: found a second, different definition of cluster A \(1\)/);
  });

  it('reads endpoints: device types, bindings, storage, defaults (hex, negative, string, bool), sorted events', () => {
    const e = json(`endpoint 0x1 {
      device type ma_light = 0x100, version 2;
      binding cluster OnOff;
      server cluster OnOff {
        emits event Zeta;
        emits event Alpha;
        ram attribute onOff default = true;
        persist attribute level default = -0x10;
        callback attribute name default = "a\\"b\\u00e9\\101é";
        RAM ATTRIBUTE big default = 18446744073709551615;
        handle command Toggle;
      }
    }`).endpoints[0];
    expect(e.number).toBe(1);
    expect(e.device_types).toEqual([{ name: 'ma_light', code: 256, version: 2 }]);
    expect(e.client_bindings).toEqual(['OnOff']);
    const sc = e.server_clusters[0];
    expect(sc.events_emitted).toEqual(['Alpha', 'Zeta']);
    // upstream decodes with unicode-escape over UTF-8 bytes: escapes apply, raw non-ASCII reads as Latin-1
    expect(sc.attributes.map((a: { default: unknown }) => a.default)).toEqual([true, -16, 'a"béAÃ©', 18446744073709552000]);
    expect(printCanonicalJson(idlToJson(parse('endpoint 1 { server cluster X { ram attribute big default = 18446744073709551615; } }')))).toContain('18446744073709551615');
    expect(sc.attributes.map((a: { storage: string }) => a.storage)).toEqual(['RAM', 'PERSIST', 'CALLBACK', 'RAM']);
    expect(sc.commands).toEqual(['Toggle']);
  });
});

describe('.matter errors', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['missing field id', 'cluster A = 1 {\n  attribute int8u x = ;\n}', /^test\.matter:2:23: found ';', expected a field id$/],
    ['unknown cluster item', 'cluster A = 1 {\n  atribute int8u x = 0;\n}', /^test\.matter:2:3: found 'atribute', expected enum, bitmap, struct, attribute, command, event or }$/],
    ['upper-case hex prefix', 'cluster A = 0X10 {}', /^test\.matter:1:14: found 'X10', expected '\{'$/],
    ['negative outside defaults', 'cluster A = -1 {}', /^test\.matter:1:13: found '-', expected a cluster id$/],
    ['unterminated comment', 'cluster A = 1 {}\n/* oops', /^test\.matter:2:1: found an unterminated \/\* comment/],
    ['stray character', 'cluster A = 1 { @ }', /^test\.matter:1:17: unexpected character "@"$/],
    ['bad privilege', 'cluster A = 1 { attribute access(read: root) int8u x = 0; }', /^test\.matter:1:40: found 'root', expected a privilege/],
    ['end of file', 'cluster A = 1 { attribute int8u x = 0;', /^test\.matter:1:39: found end of file, expected enum, bitmap/],
    ['revision after items', 'cluster A = 1 { attribute int8u x = 0; revision 2; }', /^test\.matter:1:40: found 'revision', expected enum/],
    ['unterminated string', 'endpoint 1 { server cluster X { ram attribute a default = "abc\n; } }', /^test\.matter:1:59: found an unterminated string/],
  ];
  for (const [name, text, message] of cases) {
    it(name, () => {
      const error = parseError(text);
      expect(error.message).toMatch(message);
      expect(error.file).toBe('test.matter');
    });
  }
});

describe('.matter global names', () => {
  it('refuses two global types of different kinds with one name', () => {
    const error = parseError('enum Foo : enum8 { kA = 0; }\nbitmap Foo : bitmap8 { kB = 1; }');
    expect(error.message).toBe('test.matter:2:1: found global bitmap Foo, expected a name no other global type has (a global enum Foo exists)');
  });
});
