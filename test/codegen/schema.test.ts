/** Capability schemas: the seed's validation rules with precise file:line:column errors, and the mapping. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCapabilitySchema } from '../../codegen/schema/capability.js';
import { CodegenInputError } from '../../codegen/errors.js';
import { inputsDir } from './paths.js';

const SAMPLE = readFileSync(path.join(inputsDir, 'custom.SimpleLighting@1.0.json'), 'utf8');

function withChange(change: (doc: any) => void): string {
  const doc = JSON.parse(SAMPLE);
  change(doc);
  return JSON.stringify(doc, null, 2);
}

function schemaError(text: string): CodegenInputError {
  try {
    loadCapabilitySchema(text, 'cap.json');
  } catch (error) {
    expect(error).toBeInstanceOf(CodegenInputError);
    return error as CodegenInputError;
  }
  throw new Error('expected a schema error');
}

describe('capability schema mapping', () => {
  it('turns the sample into the SimpleLighting cluster model', () => {
    const s = loadCapabilitySchema(SAMPLE, 'custom.SimpleLighting@1.0.json');
    expect(s.capabilityId).toBe('custom.SimpleLighting@1.0');
    const c = s.cluster;
    expect(c).toMatchObject({ code: 0xfff1fc10, name: 'SimpleLighting', revision: 1 });
    expect(c.attributes.map((a) => [a.definition.name, a.definition.type.name, a.qualities])).toEqual([
      ['onOff', 'boolean', ['READABLE', 'WRITABLE']],
      ['brightness', 'int8u', ['READABLE', 'WRITABLE']],
      ['colorName', 'char_string', ['READABLE', 'WRITABLE']],
      ['temperature', 'single', ['READABLE']],
    ]);
    expect(c.attributes[1]!.definition.constraint).toEqual({ min: 0, max: 254 });
    expect(c.attributes[2]!.definition).toMatchObject({ qualities: ['NULLABLE'], type: { name: 'char_string', maxLength: 16 } });
    expect(c.commands.map((x) => [x.name, x.code, x.input, x.output])).toEqual([
      ['Toggle', 0, null, 'DefaultSuccess'],
      ['SetBrightness', 1, 'SetBrightnessRequest', 'SetBrightnessResponse'],
    ]);
    expect(c.structs.find((x) => x.name === 'SetBrightnessRequest')!.fields.map((f) => [f.name, f.type.name])).toEqual([['level', 'int8u'], ['transitionMs', 'int16u']]);
    expect(c.structs.find((x) => x.name === 'SetBrightnessResponse')).toMatchObject({ tag: 'RESPONSE', code: 1 });
    expect(c.events[0]).toMatchObject({ name: 'Overheated', code: 0, priority: 'INFO' });
  });

  it('picks the smallest Matter integer type, counting the null sentinel', () => {
    const typeOf = (value: object) =>
      loadCapabilitySchema(withChange((d) => (d.properties.Brightness.value = value)), 'c.json').cluster.attributes[1]!.definition.type.name;
    expect(typeOf({ type: 'integer', minimum: 0, maximum: 255 })).toBe('int8u');
    expect(typeOf({ type: 'integer', minimum: 0, maximum: 255, nullable: true })).toBe('int16u');
    expect(typeOf({ type: 'integer', minimum: -5, maximum: 100 })).toBe('int8s');
    expect(typeOf({ type: 'integer', minimum: 0, maximum: 70000 })).toBe('int32u');
    expect(typeOf({ $ref: '/schema-versions/definition/matter.uint16@1.4', maximum: 4096 })).toBe('int16u');
    expect(typeOf({ type: 'array', items: { type: 'string', maxLength: 8 }, maxItems: 4 })).toBe('char_string');
  });
});

describe('capability schema validation (seed rules)', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['$id prefix', withChange((d) => (d.$id = '/schema-version/capability/custom.SimpleLighting@1.0')), /^cap\.json:2:10: found \$id "\/schema-version\/capability\/custom\.SimpleLighting@1\.0", expected \/schema-versions\/capability\//],
    ['reserved namespace aws', withChange((d) => (d.$id = '/schema-versions/capability/aws.Lamp@1.0')), /^cap\.json:2:10: found reserved namespace "aws", expected a namespace other than aws and matter$/],
    ['reserved namespace matter', withChange((d) => (d.$id = '/schema-versions/capability/matter.Lamp@1.0')), /found reserved namespace "matter"/],
    ['root namespace length', withChange((d) => (d.$id = '/schema-versions/capability/ab.Lamp@1.0')), /found root namespace "ab" of 2 characters, expected 3 to 12/],
    ['version digits', withChange((d) => (d.$id = '/schema-versions/capability/custom.Lamp@1.12345')), /found version "1\.12345" in \$id/],
    ['name too long', withChange((d) => (d.name = 'L' + 'a'.repeat(64))), /^cap\.json:3:11: found capability name of 65 characters, expected at most 64$/],
    ['name characters', withChange((d) => (d.name = 'Lamp!')), /found capability name "Lamp!", expected letters, digits/],
    ['AWS vendor id', withChange((d) => (d.extrinsicId = '0x15771002')), /^cap\.json:7:18: found extrinsicId 0x15771002 with vendor id 0x1577 \(reserved for AWS\)/],
    ['Matter vendor id', withChange((d) => (d.extrinsicId = '0x0006')), /found extrinsicId 0x0006 with vendor id 0x0000 \(reserved for Matter\)/],
    ['extrinsicId form', withChange((d) => (d.extrinsicId = '0xFFF1FC10A')), /found extrinsicId "0xFFF1FC10A" for the capability, expected 1-10 decimal digits or 0x and 1-8 hex digits/],
    ['missing extrinsicVersion', withChange((d) => delete d.extrinsicVersion), /^cap\.json:1:1: found no "extrinsicVersion", expected it \(required\)$/],
    ['duplicate property id', withChange((d) => (d.properties.Brightness.extrinsicId = '0x0000')), /found extrinsicId 0 on property Brightness, expected it unique \(OnOff has it\)/],
    ['built-in action name', withChange((d) => (d.actions[0].name = 'ReadState')), /found action name ReadState, expected a name other than the built-in actions/],
    ['unsupported value', withChange((d) => (d.properties.OnOff.value = { oneOf: [{ type: 'boolean' }] })), /found "oneOf", expected a plain type/],
    ['nothing defined', withChange((d) => { delete d.properties; delete d.actions; delete d.events; }), /found no properties, actions or events/],
    ['event description length', withChange((d) => (d.events[0].description = 'x'.repeat(513))), /found a description of 513 characters, expected at most 512/],
  ];
  for (const [name, text, message] of cases) {
    it(name, () => expect(schemaError(text).message).toMatch(message));
  }

  it('refuses documents over 50,000 characters', () => {
    const big = withChange((d) => (d.title = 'é'.repeat(10) + ' '.repeat(10)));
    expect(() => loadCapabilitySchema(big, 'c.json')).not.toThrow();
    const tooBig = withChange((d) => (d.description = 'x'.repeat(50_000)));
    expect(schemaError(tooBig).message).toMatch(/found a schema document of \d+ characters, expected at most 50000/);
  });

  it('names the position of JSON syntax errors and duplicate keys', () => {
    expect(schemaError('{\n  "a": 1,\n  "a": 2\n}').message).toBe('cap.json:3:3: found key "a" a second time, expected each key once');
    expect(schemaError('{\n  "a": [1, 2\n}').message).toBe("cap.json:3:1: found \"}\", expected ',' or ']'");
  });
});

describe('schema over .matter', () => {
  it('accepts the global attributes ZAP adds to a vendor cluster and refuses other extra attributes', async () => {
    const { overlaySchemaOnCluster } = await import('../../codegen/schema/capability.js');
    const { parseMatterIdl } = await import('../../codegen/idl/index.js');
    const base = readFileSync(path.join(inputsDir, 'custom-light.matter'), 'utf8');
    const withGlobals = base.replace('readonly attribute single temperature = 3;', 'readonly attribute single temperature = 3;\n  readonly attribute command_id generatedCommandList[] = 65528;\n  readonly attribute int16u clusterRevision = 65533;');
    const schema = () => loadCapabilitySchema(SAMPLE, 'custom.SimpleLighting@1.0.json');
    const cluster = parseMatterIdl(withGlobals, 'light.matter').clusters[0]!;
    expect(() => overlaySchemaOnCluster(schema(), cluster, 'light.matter')).not.toThrow();
    expect(cluster.attributes.find((a) => a.definition.name === 'brightness')!.definition.constraint).toEqual({ min: 0, max: 254 });
    const extra = parseMatterIdl(base.replace('readonly attribute single temperature = 3;', 'readonly attribute single temperature = 3;\n  attribute int8u extra = 4;'), 'light.matter').clusters[0]!;
    expect(() => overlaySchemaOnCluster(schema(), extra, 'light.matter')).toThrow(/found no property with extrinsicId 4, expected one for attribute extra of light\.matter/);
  });
});
