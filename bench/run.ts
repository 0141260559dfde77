/**
 * `npm run bench [-- NAME…]`: runs every bench/*.bench.ts (or those named), prints one table and
 * writes build/bench.json. Each bench runs ours and the peer side by side in this one process run.
 */
import { readdir, mkdir, writeFile, readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Bench, BenchResult } from './figure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const only = process.argv.slice(2);

const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const results: BenchResult = {};
let failed = false;

for (const file of selected) {
  process.stderr.write(`bench ${file} …\n`);
  try {
    const mod = (await import(pathToFileURL(path.join(here, file)).href)) as { default: Bench };
    Object.assign(results, await mod.default());
  } catch (error) {
    failed = true;
    process.stderr.write(`bench ${file} failed: ${(error as Error).stack ?? error}\n`);
  }
}

const fmt = (n: number | undefined) =>
  n === undefined ? '' : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
const rows = Object.entries(results).map(([name, f]) => [
  name,
  `${fmt(f.value)} ${f.unit}`,
  f.peer ?? '',
  f.peerValue === undefined ? '' : `${fmt(f.peerValue)} ${f.unit}`,
  f.ratio === undefined ? '' : fmt(f.ratio),
  f.goal ?? '',
]);
const header = ['figure', 'ours', 'peer', 'peer value', 'ratio', 'goal'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));

await mkdir(path.join(root, 'build'), { recursive: true });
const out = path.join(root, 'build', 'bench.json');
// Running a subset keeps the other figures from the last full run.
const previous = only.length ? JSON.parse(await readFile(out, 'utf8').catch(() => '{}')) : {};
await writeFile(out, JSON.stringify({ ...previous, ...results }, null, 2) + '\n');
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
if (failed) process.exitCode = 1;
