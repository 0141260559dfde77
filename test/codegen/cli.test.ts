/** The mi-codegen executable: output, exit codes, and no stack trace for a user's mistake. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputsDir, repoRoot, hasShared, sharedMatter } from './paths.js';

const bin = path.join(repoRoot, 'bin/mi-codegen.mjs');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mi-codegen-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mi-codegen CLI', () => {
  it('dump-idl prints the canonical JSON', async () => {
    const r = await run(['dump-idl', path.join(inputsDir, 'custom-light.matter')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const dump = JSON.parse(r.stdout);
    expect(dump.clusters[0]).toMatchObject({ name: 'SimpleLighting', code: 4294048784 });
    if (hasShared) expect(r.stdout).toBe(readFileSync(path.join(sharedMatter, 'oracle/custom-light.json'), 'utf8').trimEnd() + '\n');
  });

  it('a syntax error exits 2 with file:line:column and no stack trace', async () => {
    const file = path.join(dir, 'broken.matter');
    await writeFile(file, 'cluster A = 1 {\n  command Go(): DefaultSuccess = 0\n}\n');
    const r = await run(['dump-idl', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`mi-codegen: ${file}:3:1: found '}', expected ';'\n`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a schema error exits 2 from generate too', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, '{ "$id": "/schema-versions/capability/aws.X@1.0" }');
    const r = await run(['generate', file, '--out', path.join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mi-codegen: .*bad\.json:1:10: found reserved namespace "aws"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('usage mistakes and missing files exit 2', async () => {
    expect((await run(['generate', path.join(inputsDir, 'lighting-app.matter')])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['dump-idl', '--bogus', 'x'])).code).toBe(2);
    const missing = await run(['dump-idl', path.join(dir, 'nope.matter')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.matter: ENOENT/);
  });

  it('generate writes, then --check passes and reports drift with exit 1', async () => {
    const out = path.join(dir, 'gen');
    const args = ['generate', path.join(inputsDir, 'lighting-app.matter'), '--clusters', 'OnOff', '--out', out];
    expect((await run(args)).code).toBe(0);
    expect((await run([...args, '--check'])).code).toBe(0);
    await writeFile(path.join(out, 'on-off.ts'), 'edited');
    const drift = await run([...args, '--check']);
    expect(drift.code).toBe(1);
    expect(drift.stderr).toMatch(/on-off\.ts/);
  });
});

describe('mi-codegen CLI model errors', () => {
  it('an unknown field type names its position', async () => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'mi-codegen-cli-'));
    try {
      const file = path.join(d, 'typo.matter');
      await writeFile(file, 'cluster A = 0x1234 {\n  attribute int8u ok = 0;\n  attribute in16u typo = 1;\n  command Go(GoRequest): DefaultSuccess = 0;\n}\n');
      const r = await run(['generate', file, '--out', path.join(d, 'out')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`mi-codegen: ${file}:3:13: found type 'in16u' (A attribute typo), expected a Matter data type or an enum, bitmap or struct of the cluster or the file\n`);
      await writeFile(file, 'cluster A = 0x1234 {\n  command Go(GoRequest): DefaultSuccess = 0;\n}\n');
      const r2 = await run(['generate', file, '--out', path.join(d, 'out')]);
      expect(r2.stderr).toBe(`mi-codegen: ${file}:2:3: found request 'GoRequest' for command Go of A, expected a struct of the cluster\n`);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
