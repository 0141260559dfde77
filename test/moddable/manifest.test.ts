/**
 * The top-level manifest.json against the Moddable manifest documentation
 * (documentation/tools/manifest.md, documentation/xs/XS FFI.md, and the TypeScript section of
 * tools/mcmanifest.js), and against what `npm run build:moddable` actually produces.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModdable, MODDABLE_MODULE_PROVIDERS, type BuildResult } from '../../tools/build-moddable.js';

const root = path.resolve(import.meta.dirname, '../..');
type Json = Record<string, unknown>;
const manifest = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8')) as Json;

/** Top-level properties the documentation defines. */
const MANIFEST_KEYS = new Set(['build', 'include', 'modules', 'preload', 'creation', 'defines', 'config', 'strip', 'resources', 'data', 'platforms', 'bundle', 'ffi', 'typescript']);
/** Inside a `platforms` entry: the same properties, plus the `error`/`warning` messages. */
const PLATFORM_KEYS = new Set([...MANIFEST_KEYS, 'error', 'warning']);
const CREATION_KEYS = new Set(['static', 'chunk', 'heap', 'stack', 'keys', 'parser', 'main', 'nativeStack']); // nativeStack: read by tools/mcconfig.js
const GROWTH_KEYS = new Set(['initial', 'incremental']);
const CREATION_KEYS_KEYS = new Set(['initial', 'incremental', 'name', 'symbol']);
const FFI_KEYS = new Set(['sources', 'functions']);
const FFI_FUNCTION_KEYS = new Set(['arguments', 'returns']);
const FFI_TYPES = /^(void|u?int(8|16|32|64)_t|float|double|const char\*|char\*|void\*|u?int(8|16|32|64)_t\*|float\*|double\*|u?int(8|16|32|64)_t\[\d+\])$/;
const TYPESCRIPT_KEYS = new Set(['compiler', 'tsconfig']);

const isComment = (key: string) => key.startsWith('//');
const unknownKeys = (object: Json, allowed: Set<string>) => Object.keys(object).filter((key) => !isComment(key) && !allowed.has(key));
const object = (value: unknown, what: string): Json => {
  expect(value, what).toBeTypeOf('object');
  return value as Json;
};

describe('manifest.json keys (Moddable manifest documentation)', () => {
  it('uses only documented top-level properties', () => {
    expect(unknownKeys(manifest, MANIFEST_KEYS)).toEqual([]);
  });

  it('creation has only documented fields and at least the ESP32-S3 defaults', () => {
    const creation = object(manifest.creation, 'creation');
    expect(unknownKeys(creation, CREATION_KEYS)).toEqual([]);
    const chunk = object(creation.chunk, 'creation.chunk');
    const heap = object(creation.heap, 'creation.heap');
    expect(unknownKeys(chunk, GROWTH_KEYS)).toEqual([]);
    expect(unknownKeys(heap, GROWTH_KEYS)).toEqual([]);
    expect(unknownKeys(object(creation.keys, 'creation.keys'), CREATION_KEYS_KEYS)).toEqual([]);
    expect(chunk.initial as number).toBeGreaterThanOrEqual(78_848);
    expect(heap.initial as number).toBeGreaterThanOrEqual(4_928);
    expect(creation.stack as number).toBeGreaterThanOrEqual(512);
    expect(creation.main).toBe('main');
    for (const value of [creation.static, chunk.initial, chunk.incremental, heap.initial, heap.incremental, creation.stack]) {
      expect(Number.isInteger(value)).toBe(true);
    }
  });

  it('platform entries use manifest properties; esp32/esp32s3 enables OTA autosplit and the rollback sdkconfig', () => {
    const platforms = object(manifest.platforms, 'platforms');
    for (const [name, entry] of Object.entries(platforms)) {
      if (isComment(name)) continue;
      expect(unknownKeys(object(entry, name), PLATFORM_KEYS), name).toEqual([]);
    }
    const s3 = object(platforms['esp32/esp32s3'], 'esp32/esp32s3');
    expect(object(object(s3.defines, 'defines').ota, 'ota').autosplit).toBe(1);
    const sdkconfigDir = (object(s3.build, 'build').SDKCONFIGPATH as string).replace(/^\.\//, '');
    expect(readFileSync(path.join(root, sdkconfigDir, 'sdkconfig.defaults'), 'utf8')).toMatch(/^CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y$/m);
  });

  it('ffi declares every function of native/esp-idf.c with FFI types, and the typings declare the same set', () => {
    const ffi = object(manifest.ffi, 'ffi');
    expect(unknownKeys(ffi, FFI_KEYS)).toEqual([]);
    const functions = object(ffi.functions, 'ffi.functions');
    const sources = (ffi.sources as string[]).map((source) => readFileSync(path.join(root, source), 'utf8')).join('\n');
    const typings = readFileSync(path.join(root, 'platform/moddable/typings/runtime.d.ts'), 'utf8');
    const typed = [...typings.matchAll(/^\s+(mi_[a-z_]+)\(/gm)].map((match) => match[1]).sort();
    expect(Object.keys(functions).sort()).toEqual(typed);
    for (const [name, signature] of Object.entries(functions)) {
      const { arguments: args, returns } = object(signature, name) as { arguments: string[]; returns: string };
      expect(unknownKeys(signature as Json, FFI_FUNCTION_KEYS), name).toEqual([]);
      for (const type of [...args, returns]) expect(type, `${name}: ${type}`).toMatch(FFI_TYPES);
      expect(sources, `C definition of ${name}`).toMatch(new RegExp(`\\b${name}\\s*\\(`));
    }
  });

  it('typescript, config and data are as the platform expects', () => {
    expect(unknownKeys(object(manifest.typescript, 'typescript'), TYPESCRIPT_KEYS)).toEqual([]);
    const config = object(manifest.config, 'config');
    expect(config.mqttPort).toBe(8883);
    for (const key of ['rootCaResource', 'claimCertResource', 'claimKeyResource']) expect(config[key], key).toMatch(/\.der$/);
    const data = object(manifest.data, 'data');
    expect(data['*']).toEqual(['./build/moddable/certs/*']);
  });
});

describe('manifest.json against `npm run build:moddable`', () => {
  let build: BuildResult;
  beforeAll(async () => {
    build = await buildModdable([]);
  }, 60_000);

  it('every module the manifest names exists after the build', () => {
    const modules = object(manifest.modules, 'modules');
    expect(Object.keys(modules).length).toBeGreaterThan(0);
    for (const [name, target] of Object.entries(modules)) {
      for (const file of Array.isArray(target) ? target : [target]) {
        expect(existsSync(path.join(root, `${file as string}.js`)), `${name} → ${file}.js`).toBe(true);
      }
    }
    expect(existsSync(path.join(root, 'build/moddable/certs'))).toBe(true);
  });

  it('preloads only modules the manifest names', () => {
    const modules = object(manifest.modules, 'modules');
    for (const name of manifest.preload as string[]) expect(Object.keys(modules), name).toContain(name);
  });

  it('every Moddable module the bundle imports is provided by an included manifest', () => {
    expect(build.moddableImports.length).toBeGreaterThan(5);
    const includes = manifest.include as string[];
    for (const specifier of build.moddableImports) {
      const provider = MODDABLE_MODULE_PROVIDERS[specifier]!;
      if (provider.startsWith('$(MODDABLE)')) expect(includes, `${specifier} needs ${provider}`).toContain(provider);
    }
  });

  it('the bundle is an ES module with the app default export and no Node built-ins', () => {
    const main = readFileSync(path.join(root, 'build/moddable/main.js'), 'utf8');
    expect(main).toMatch(/export\s*\{[^}]*\bdefault\b/);
    expect(main).not.toMatch(/from\s+["']node:/);
    expect(main).not.toMatch(/\brequire\(["'](fs|net|tls|crypto|buffer)["']\)/);
    const buildInfo = readFileSync(path.join(root, 'build/moddable/build-info.js'), 'utf8');
    expect(buildInfo).toMatch(/Object\.freeze\(\{"sdkVersion":/);
  });
});
