// One esbuild configuration for everything that runs on XS: `npm run build:moddable` (ES modules for
// mcconfig) and the XS lane (`npm run test:xs`, one IIFE per scenario file). Both get the same npm
// shims, aliases and defines, so what the lane runs is what the device build contains. The only
// difference is what Moddable's own modules ('preference', 'timer', 'embedded:…') become: externals
// that mcconfig links on the device build, small host fakes (test/xs/fakes) in the lane.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(repoRoot, 'package.json'));
const shim = (name) => path.join(repoRoot, 'tools/moddable-shims', name);

/** Module specifiers of npm packages replaced for XS (mqtt-packet's Node-isms). */
export const moddableAliases = {
  buffer: path.dirname(require.resolve('buffer/package.json')) + '/index.js',
  // bl's main file pulls readable-stream; mqtt-packet's parser only needs the BufferList class.
  bl: path.dirname(require.resolve('bl/package.json')) + '/BufferList.js',
  debug: shim('debug.cjs'),
  'process-nextick-args': shim('process-nextick-args.js'),
  events: path.dirname(require.resolve('events/package.json')) + '/events.js',
};

/** Shim modules every XS bundle imports before anything else. */
export const moddablePreludes = [shim('crypto-global.js')];

export const moddableDefines = {
  'process.env.NODE_ENV': '"production"',
  global: 'globalThis',
};

/** Bare specifiers that name modules of the Moddable SDK (linked by mcconfig, never bundled). */
const MODDABLE_BARE_MODULES = new Set([
  'preference', 'timer', 'time', 'sntp', 'rng', 'flash', 'ota', 'net', 'wifi', 'socket', 'securesocket',
  'text/encoder', 'text/decoder', 'instrumentation', 'Resource', 'debug/moddable', 'http', 'dns', 'base64', 'crypt',
]);

/** Modules `npm run build:moddable` writes next to the bundle (linked by mcconfig too). */
const BUILD_MODULES = new Set(['mi/build-info']);

export function isModdableModule(specifier) {
  return specifier.startsWith('embedded:') || specifier.startsWith('mc/') || MODDABLE_BARE_MODULES.has(specifier) || BUILD_MODULES.has(specifier);
}

/** File of the lane fake standing in for a Moddable module: 'embedded:storage/flash' → test/xs/fakes/embedded-storage-flash.ts. */
export function laneFakePath(specifier) {
  return path.join(repoRoot, 'test/xs/fakes', specifier.replace(/[:/]/g, '-') + '.ts');
}

/** The random source behind the crypto shim: esp_random on the device, a seeded generator in the lane. */
const RANDOM_SOURCE = {
  moddable: path.join(repoRoot, 'platform/moddable/random-source.ts'),
  lane: path.join(repoRoot, 'test/xs/fakes/random-source.ts'),
};

/** esbuild plugin that decides what Moddable modules become for `target` ('moddable' or 'lane'). */
export function moddableModulesPlugin(target) {
  return {
    name: 'moddable-modules',
    setup(build) {
      build.onResolve({ filter: /^mi:random-source$/ }, () => ({ path: RANDOM_SOURCE[target] }));
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!isModdableModule(args.path)) return undefined;
        if (target === 'moddable') return { path: args.path, external: true };
        const fake = laneFakePath(args.path);
        if (!existsSync(fake)) {
          return { errors: [{ text: `no XS lane fake for Moddable module '${args.path}' (expected ${path.relative(repoRoot, fake)})` }] };
        }
        return { path: fake };
      });
    },
  };
}

/**
 * esbuild options shared by the Moddable build and the lane. `platform: 'neutral'` keeps Node's
 * built-ins out; the `default`/`import` conditions pick cbor-x's portable entry (its `node` entry
 * loads the native cbor-extract).
 */
export function xsBuildOptions(target) {
  return {
    bundle: true,
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['import', 'default'],
    alias: moddableAliases,
    define: moddableDefines,
    inject: [shim('process.js')],
    plugins: [moddableModulesPlugin(target)],
    legalComments: 'none',
    logLevel: 'silent',
    charset: 'utf8',
  };
}
