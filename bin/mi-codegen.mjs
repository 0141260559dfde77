#!/usr/bin/env node
// Runs the code generator (codegen/cli.ts). Fast path: an esbuild bundle in build/mi-codegen/, rebuilt
// whenever one of its source files is newer, run with a V8 code cache (code-cache.mjs), so a run costs
// Node's startup plus the work itself. Without esbuild (or if bundling fails) it falls back to
// running the TypeScript through tsx.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from './code-cache.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outDir = path.join(root, 'build', 'mi-codegen');
// CommonJS: V8 code caches are made for scripts (vm.Script), not for ES modules, on Node 20.
const bundle = path.join(outDir, 'cli.cjs');
const codeCache = path.join(outDir, 'cli.code-cache');
const inputsList = path.join(outDir, 'inputs.json');

function isFresh() {
  if (!existsSync(bundle) || !existsSync(inputsList)) return false;
  const built = statSync(bundle).mtimeMs;
  try {
    const inputs = JSON.parse(readFileSync(inputsList, 'utf8'));
    return inputs.every((file) => statSync(path.join(root, file)).mtimeMs <= built);
  } catch {
    return false;
  }
}

async function buildBundle() {
  const esbuild = await import('esbuild');
  const tmp = `${bundle}.${process.pid}.tmp`;
  mkdirSync(outDir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'codegen/cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: tmp,
    metafile: true,
    logLevel: 'silent',
    packages: 'external',
  });
  writeFileSync(`${inputsList}.${process.pid}.tmp`, JSON.stringify(Object.keys(result.metafile.inputs)));
  // Rename into place: concurrent runs each write their own temp file.
  renameSync(`${inputsList}.${process.pid}.tmp`, inputsList);
  renameSync(tmp, bundle);
}

let bundled = true;
try {
  if (!isFresh()) await buildBundle();
} catch {
  bundled = false;
}
if (bundled) {
  runWithCodeCache(bundle, codeCache);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../codegen/cli.ts', import.meta.url).href);
}
