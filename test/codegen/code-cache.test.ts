/** bin/code-cache.mjs: the V8 code cache the mi-codegen bin runs its bundle with. */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './paths.js';

const runner = path.join(repoRoot, 'bin/code-cache.mjs');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mi-code-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `bundle` through runWithCodeCache in a fresh Node process; prints its output and whether the cache was used. */
function run(bundle: string, cache: string): Promise<{ stdout: string; stderr: string }> {
  const script = `import { runWithCodeCache } from ${JSON.stringify(runner)};
const { exports, cacheUsed } = runWithCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(cache)});
console.log(JSON.stringify({ answer: exports.answer(), cacheUsed }));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], (error, stdout, stderr) => (error ? reject(error) : resolve({ stdout, stderr })));
  });
}

describe('code cache runner', () => {
  it('writes the cache on the first run and uses it on the next; a refused cache is replaced', async () => {
    const bundle = path.join(dir, 'bundle.cjs');
    const cache = path.join(dir, 'bundle.code-cache');
    await writeFile(bundle, `const path = require('node:path');\nfunction lazy(n) { return n * 6 + path.sep.length - 1; }\nexports.answer = () => lazy(7);\n`);

    expect(JSON.parse((await run(bundle, cache)).stdout)).toEqual({ answer: 42, cacheUsed: false });
    expect(existsSync(cache)).toBe(true);
    expect(JSON.parse((await run(bundle, cache)).stdout)).toEqual({ answer: 42, cacheUsed: true });

    // Garbage in the cache file: V8 refuses it, the bundle still runs, and a good cache replaces it.
    await writeFile(cache, 'not a code cache');
    expect(JSON.parse((await run(bundle, cache)).stdout)).toEqual({ answer: 42, cacheUsed: false });
    expect(readFileSync(cache, 'utf8')).not.toBe('not a code cache');
    expect(JSON.parse((await run(bundle, cache)).stdout)).toEqual({ answer: 42, cacheUsed: true });

    // A changed bundle: the old cache is refused, and the new source runs.
    await writeFile(bundle, `exports.answer = () => 41;\n`);
    expect(JSON.parse((await run(bundle, cache)).stdout)).toEqual({ answer: 41, cacheUsed: false });
    expect(JSON.parse((await run(bundle, cache)).stdout)).toEqual({ answer: 41, cacheUsed: true });
    // Even at the same length, which is all V8 itself compares of the source.
    await writeFile(bundle, `exports.answer = () => 40;\n`);
    expect(JSON.parse((await run(bundle, cache)).stdout)).toEqual({ answer: 40, cacheUsed: false });
  });

  it('the mi-codegen bin gives the same output with its cache as without it', async () => {
    const bin = path.join(repoRoot, 'bin/mi-codegen.mjs');
    const input = path.join(repoRoot, 'codegen/inputs/custom-light.matter');
    const dump = () =>
      new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [bin, 'dump-idl', input], { cwd: repoRoot }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
      });
    // Two runs: another test file may be rebuilding the bundle meanwhile (its first run then writes the cache).
    const first = await dump();
    expect(await dump()).toBe(first);
    expect(existsSync(path.join(repoRoot, 'build/mi-codegen/cli.code-cache'))).toBe(true);
    expect(await dump()).toBe(first);
    expect(JSON.parse(first).clusters[0].name).toBe('SimpleLighting');
  });
});
