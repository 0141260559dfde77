/**
 * Generated modules pass `tsc --strict` with the strictest common extras (noUnusedLocals,
 * noUnusedParameters, exactOptionalPropertyTypes, noUncheckedIndexedAccess) — for every cluster of a
 * large real file, not only the committed examples (those are checked by `npm run typecheck`).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../codegen/cli.js';
import { hasShared, inputsDir, repoRoot, sharedMatter } from './paths.js';

const work = path.join(repoRoot, 'build', `codegen-tsc-${process.pid}`);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('generated code type-checks', () => {
  it('every cluster of all-clusters-app (or camera-app) under tsc --strict and friends', async () => {
    const input = hasShared ? path.join(sharedMatter, 'samples/all-clusters-app.matter') : path.join(inputsDir, 'camera-app.matter');
    const out = path.join(work, 'gen');
    const quiet = { stdout: () => undefined, stderr: (s: string) => void process.stderr.write(s) };
    expect(await main(['generate', input, '--out', out, '--runtime', '../../../modules/datamodel/index.js'], quiet)).toBe(0);
    expect(await main(['generate', path.join(inputsDir, 'custom.SimpleLighting@1.0.json'), '--out', path.join(work, 'custom'), '--runtime', '../../../modules/datamodel/index.js'], quiet)).toBe(0);
    await mkdir(work, { recursive: true });
    await writeFile(path.join(work, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        skipLibCheck: true, isolatedModules: true, verbatimModuleSyntax: true, noUnusedLocals: true, noUnusedParameters: true,
        exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, types: [],
      },
      include: ['gen/*.ts', 'custom/*.ts'],
    }));
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(process.execPath, [tsc, '-p', path.join(work, 'tsconfig.json')], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error ? 1 : 0, output: stdout + stderr });
      });
    });
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 300_000);
});
