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

/** The examples with a device entry and a manifest of their own. */
const EXAMPLES = ['air-purifier', 'camera', 'simple-light'];
/** Each example's portable setup (examples/<name>/main.ts), by which its bundle is recognised. */
const SETUP_FUNCTIONS: Record<string, string> = { 'air-purifier': 'setupAirPurifier', camera: 'setupCamera', 'simple-light': 'setupSimpleLight' };

/** Deep merge as mcconfig's mergeProperties: objects merge, anything else replaces. */
function mergeInto(target: Json, source: Json): void {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (current && value && typeof current === 'object' && typeof value === 'object' && !Array.isArray(current) && !Array.isArray(value)) mergeInto(current as Json, value as Json);
    else target[key] = value;
  }
}

interface ResolvedManifest {
  /** The manifest as mcconfig merges it (local includes first, then the including manifest; $(MODDABLE) includes left out). */
  merged: Json;
  /** Each `modules` entry with the directory of the manifest that names it (mcconfig resolves ./ paths there). */
  modules: { name: string; file: string; directory: string }[];
  /** Every manifest file read, the including one last. */
  files: string[];
}

/** Follows relative includes the way tools/mcmanifest.js does: a ./ or ../ path is relative to the manifest that names it. */
function resolveManifest(file: string): ResolvedManifest {
  const out: ResolvedManifest = { merged: {}, modules: [], files: [] };
  const visit = (manifestFile: string) => {
    if (out.files.includes(manifestFile)) return;
    const manifestJson = JSON.parse(readFileSync(manifestFile, 'utf8')) as Json;
    const directory = path.dirname(manifestFile);
    const includes = ([] as string[]).concat((manifestJson.include as string[] | string | undefined) ?? []);
    for (const include of includes) if (!include.startsWith('$(')) visit(path.resolve(directory, include));
    out.files.push(manifestFile);
    for (const [name, target] of Object.entries((manifestJson.modules as Json | undefined) ?? {})) {
      for (const moduleFile of Array.isArray(target) ? target : [target]) out.modules.push({ name, file: moduleFile as string, directory });
    }
    const { include: _include, platforms: _platforms, ...rest } = manifestJson;
    mergeInto(out.merged, structuredClone(rest));
  };
  visit(file);
  return out;
}

/** The documented-keys check every manifest gets (its own top level and creation, as written). */
function expectDocumentedKeys(manifestJson: Json, what: string): void {
  expect(unknownKeys(manifestJson, MANIFEST_KEYS), what).toEqual([]);
  if (manifestJson.creation) {
    const creation = object(manifestJson.creation, `${what} creation`);
    expect(unknownKeys(creation, CREATION_KEYS), `${what} creation`).toEqual([]);
    for (const key of ['chunk', 'heap'] as const) if (creation[key]) expect(unknownKeys(object(creation[key], key), GROWTH_KEYS), `${what} creation.${key}`).toEqual([]);
    if (creation.keys) expect(unknownKeys(object(creation.keys, 'keys'), CREATION_KEYS_KEYS), `${what} creation.keys`).toEqual([]);
  }
  for (const [name, entry] of Object.entries((manifestJson.platforms as Json | undefined) ?? {})) {
    if (!isComment(name)) expect(unknownKeys(object(entry, name), PLATFORM_KEYS), `${what} platforms.${name}`).toEqual([]);
  }
}

/** The creation mcconfig ends up with must hold at least the ESP32-S3 defaults and be whole numbers. */
function expectUsableCreation(creationValue: unknown, what: string): void {
  const creation = object(creationValue, `${what} creation`);
  const chunk = object(creation.chunk, 'creation.chunk');
  const heap = object(creation.heap, 'creation.heap');
  expect(chunk.initial as number, `${what} chunk`).toBeGreaterThanOrEqual(78_848);
  expect(heap.initial as number, `${what} heap`).toBeGreaterThanOrEqual(4_928);
  expect(creation.stack as number, `${what} stack`).toBeGreaterThanOrEqual(512);
  expect(creation.main, `${what} main`).toBe('main');
  for (const value of [creation.static, chunk.initial, chunk.incremental, heap.initial, heap.incremental, creation.stack]) {
    expect(Number.isInteger(value), `${what}: ${String(value)}`).toBe(true);
  }
}

describe('manifest.json keys (Moddable manifest documentation)', () => {
  it('uses only documented top-level properties', () => {
    expect(unknownKeys(manifest, MANIFEST_KEYS)).toEqual([]);
    expectDocumentedKeys(manifest, 'manifest.json');
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

describe.each(EXAMPLES)('examples/%s/manifest.json', (example) => {
  const file = path.join(root, 'examples', example, 'manifest.json');
  const own = JSON.parse(readFileSync(file, 'utf8')) as Json;
  const resolved = resolveManifest(file);
  let build: BuildResult;
  beforeAll(async () => {
    build = await buildModdable([example]);
  }, 60_000);

  it('uses only documented properties and includes the top-level manifest by a path relative to itself', () => {
    expectDocumentedKeys(own, `examples/${example}/manifest.json`);
    expect(resolved.files).toEqual([path.join(root, 'manifest.json'), file]);
  });

  it('merged as mcconfig merges it: the top-level platform set-up, a usable creation, the example config', () => {
    const merged = resolved.merged;
    expectDocumentedKeys(merged, `${example} merged`);
    expectUsableCreation(merged.creation, example);
    expect(object(merged.creation, 'creation').heap).toEqual(object(own.creation, 'own creation').heap);
    expect(merged.ffi).toEqual(manifest.ffi);
    expect(merged.data).toEqual(manifest.data);
    const config = object(merged.config, 'config');
    const ownConfig = object(own.config, 'own config');
    for (const key of ['productName', 'serialNumber', 'upc', 'firmwareVersion']) expect(config[key], key).toBe(ownConfig[key]);
    expect(config.upc).toMatch(/^\d{12}$/);
    const digits = (config.upc as string).split('').map(Number);
    const weighted = digits.slice(0, 11).reduce((sum, digit, i) => sum + digit * (i % 2 === 0 ? 3 : 1), 0);
    expect((10 - (weighted % 10)) % 10, 'UPC-A check digit').toBe(digits[11]);
    expect(config.firmwareVersion).toMatch(/^\d+\.\d+\.\d+$/);
    for (const key of Object.keys(manifest.config as Json)) expect(config, key).toHaveProperty(key);
  });

  it(`every module it names exists after \`npm run build:moddable -- ${example}\`, built from the example's device entry`, () => {
    expect(build.entry).toBe(`examples/${example}/moddable.ts`);
    expect(resolved.modules.map((m) => m.name).sort()).toEqual(Object.keys(manifest.modules as Json).sort());
    for (const { name, file: moduleFile, directory } of resolved.modules) {
      expect(existsSync(path.resolve(directory, `${moduleFile}.js`)), `${name} → ${moduleFile}.js`).toBe(true);
    }
    const main = readFileSync(path.join(root, 'build/moddable/main.js'), 'utf8');
    expect(main).toMatch(new RegExp(`device bundle \\(${example}\\)`));
    expect(main).toMatch(/export\s*\{[^}]*\bdefault\b/);
    expect(readFileSync(path.join(root, 'build/moddable/build-info.js'), 'utf8')).toContain(`"app":"${example}"`);
  });

  it('every Moddable module its bundle imports is provided by an include of the merged manifest', () => {
    const includes = manifest.include as string[];
    for (const specifier of build.moddableImports) {
      const provider = MODDABLE_MODULE_PROVIDERS[specifier]!;
      if (provider.startsWith('$(MODDABLE)')) expect(includes, `${specifier} needs ${provider}`).toContain(provider);
    }
  });

  it("its bundle holds this example's device logic and leaves the other examples out", () => {
    const main = readFileSync(path.join(root, 'build/moddable/main.js'), 'utf8');
    const setups = [...main.matchAll(/function (setup(?:AirPurifier|Camera|SimpleLight))\b/g)].map((match) => match[1]);
    expect(setups).toEqual([SETUP_FUNCTIONS[example]]);
  });
});
