import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blankNonCode, findViolations } from './portable-source.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MODULES = join(ROOT, 'modules');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

describe('the portable core (modules/) stays free of Node', () => {
  it('has no file that imports a Node built-in or touches Buffer, process, global timers, TextEncoder/Decoder, crypto or queueMicrotask', () => {
    const files = sourceFiles(MODULES);
    expect(files.length).toBeGreaterThan(10);
    const report: string[] = [];
    for (const file of files) {
      for (const v of findViolations(readFileSync(file, 'utf8'))) report.push(`${relative(ROOT, file)}:${v.line} ${v.what}`);
    }
    expect(report).toEqual([]);
  });
});

describe('the guard itself', () => {
  it('catches every kind of violation in a synthetic bad file', () => {
    const bad = [
      `import { readFile } from 'node:fs/promises';`,
      `import * as path from "path";`,
      `import 'node:process';`,
      `export * from 'os';`,
      `const net = await import('net');`,
      `const b = Buffer.from([1]);`,
      `if (process.env.X) {}`,
      `setTimeout(() => {}, 1);`,
      `const id = setInterval(tick, 5);`,
      `queueMicrotask(run);`,
      `const e = new TextEncoder();`,
      `const d = new TextDecoder();`,
      `crypto.getRandomValues(new Uint8Array(4));`,
      `const c = globalThis.crypto;`,
      'const s = `${Buffer.alloc(1)}`;',
      `const t = ready ? setTimeout(go, 1) : undefined;`,
    ].join('\n');
    const lines = new Set(findViolations(bad).map((v) => v.line));
    expect([...lines].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, k) => k + 1));
  });

  it('ignores the same words in comments, strings, regexes, member accesses and object keys', () => {
    const good = [
      `// setTimeout and Buffer and process in a comment; import 'fs'`,
      `/* crypto, TextEncoder, queueMicrotask */`,
      `const message = "use Buffer or process? never: setTimeout";`,
      `const template = \`no crypto here \${platform.timers.set(f, 1)} nor process\`;`,
      `const re = /process|Buffer/g;`,
      `platform.timers.set(tick, 5);`,
      `this.#clock.setTimeout = 1;`,
      `const options = { crypto: true, process: 'x' };`,
      `interface Shape { crypto?: string }`,
      `import { encodeBase64 } from '../codec/base64.js';`,
      `import { p256 } from '@noble/curves/nist.js';`,
      `const x = a / b / c; const y = (x) / 2;`,
      `class Agent { async process(job: Job): Promise<void> {} setTimeout(ms: number) { return ms; } }`,
    ].join('\n');
    expect(findViolations(good)).toEqual([]);
  });

  it('blanks strings and comments without moving code', () => {
    const source = `a('x') // c\nb(\`t\${y}t\`)`;
    const { code } = blankNonCode(source);
    expect(code.length).toBe(source.length);
    expect(code).toBe(`a(' ')     \nb(\` \${y} \`)`);
  });
});
