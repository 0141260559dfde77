/**
 * Code generator speed: parse and parse+generate per sample, ours vs connectedhomeip's Python parser
 * (lark LALR, measured on this machine: air-purifier-app 0.46 s, lighting-app 0.38 s, camera-app 0.28 s,
 * controller-clusters about 1.5 s — parse only). Goal: at least 10x faster, parse and generate.
 *
 * What is timed is what a user running `npx mi-codegen generate …` gets. The CLI (bin/mi-codegen.mjs)
 * runs an esbuild bundle of codegen/cli.ts with plain `node` (no V8 flags) through a V8 code cache
 * (bin/code-cache.mjs: the first run on a machine writes it), and parses and generates once per
 * process. So every figure here comes from child processes started the same way: a bundle built with
 * the bin's esbuild options, run with plain `node` through the same code-cache runner, with this
 * bench's process.execArgv left out. Inside the child only parseMatterIdl + emitFiles are timed (the
 * input is read before the clock starts): Node's start-up and module loading are excluded, as the
 * Python figure excludes the interpreter's start-up.
 * - `cold`: the first parse+generate in a fresh process (V8 still interpreting our code), with the
 *   code cache an earlier run wrote, median over COLD_PROCESSES processes per sample; `cold best` the
 *   fastest of them. `parse (cold)` is the parse part of that same first run.
 * - `cold, first run`: the same without a code cache (the cache deleted before each process), as
 *   the very first run after installing or changing the generator; V8 also compiles our functions.
 * - `warm median` / `warm best`: WARM_RUNS further runs in one process after its cold run.
 * Generate = emit every cluster of the file into memory (air-purifier: 31 modules, controller-clusters:
 * 157). The peer figure is the Python parser's parse time only; its Jinja generation would come on top.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { timeFigure, type Figure } from './figure.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const shared = process.env.MI_SHARED_MATTER ?? path.resolve(root, '../shared/matter/samples');
const inputs = path.join(root, 'codegen/inputs');

const SAMPLES: Array<{ name: string; peerMs: number }> = [
  { name: 'air-purifier-app', peerMs: 460 },
  { name: 'lighting-app', peerMs: 380 },
  { name: 'camera-app', peerMs: 280 },
  { name: 'controller-clusters', peerMs: 1500 },
];
const PEER = 'connectedhomeip py_matter_idl (Python, lark LALR)';
const COLD_PROCESSES = 7;
const WARM_RUNS = 15;

/** The child: reads the input, then times the first parse+generate and (if asked) warm runs. */
const CHILD_SOURCE = `
import { readFileSync } from 'node:fs';
import { parseMatterIdl } from './codegen/idl/parser.js';
import { emitFiles } from './codegen/generator/emit.js';
import { matterCapabilityId } from './codegen/generator/generate.js';

const [file, source, warmRuns] = process.argv.slice(2);
const text = readFileSync(file, 'utf8');
const generate = (idl) =>
  emitFiles(idl.clusters.map((cluster) => ({ cluster, capabilityId: matterCapabilityId(cluster), source })), { runtime: 'mi-device-sdk/datamodel' });
const t0 = performance.now();
const idl = parseMatterIdl(text, file);
const t1 = performance.now();
generate(idl);
const t2 = performance.now();
const parse = [];
const both = [];
for (let i = 0; i < Number(warmRuns); i++) {
  const s = performance.now();
  parseMatterIdl(text, file);
  parse.push(performance.now() - s);
}
for (let i = 0; i < Number(warmRuns); i++) {
  const s = performance.now();
  generate(parseMatterIdl(text, file));
  both.push(performance.now() - s);
}
process.stdout.write(JSON.stringify({ coldParse: t1 - t0, coldBoth: t2 - t0, parse, both }));
`;

interface ChildResult {
  coldParse: number;
  coldBoth: number;
  parse: number[];
  both: number[];
}

interface Child {
  /** The script to run with `node`: it runs the bundle through bin/code-cache.mjs, as the bin does. */
  launcher: string;
  codeCache: string;
}

/** Bundles the child as bin/mi-codegen.mjs bundles the CLI (same esbuild options) and writes its launcher. */
async function buildChild(): Promise<Child> {
  const outDir = path.join(root, 'build', 'codegen-bench');
  mkdirSync(outDir, { recursive: true });
  const bundle = path.join(outDir, 'child.cjs');
  const codeCache = path.join(outDir, 'child.code-cache');
  await build({
    stdin: { contents: CHILD_SOURCE, resolveDir: root, loader: 'ts', sourcefile: 'codegen-bench-child.ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'silent',
    packages: 'external',
  });
  const launcher = path.join(outDir, 'child-launcher.mjs');
  const runner = path.join(root, 'bin', 'code-cache.mjs');
  writeFileSync(launcher, `import { runWithCodeCache } from ${JSON.stringify(runner)};\nrunWithCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(codeCache)});\n`);
  return { launcher, codeCache };
}

function runChild(child: Child, file: string, source: string, warmRuns: number, withCodeCache: boolean): ChildResult {
  if (!withCodeCache) rmSync(child.codeCache, { force: true });
  // Plain `node` as the CLI's shebang runs it: no execArgv (tsx's loader) from this process.
  const out = execFileSync(process.execPath, [child.launcher, file, source, String(warmRuns)], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(out) as ChildResult;
}

function locate(name: string): string | undefined {
  for (const dir of [inputs, shared]) {
    const file = path.join(dir, `${name}.matter`);
    if (existsSync(file)) return file;
  }
  return undefined;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export default async function codegenBench(): Promise<Record<string, Figure>> {
  const child = await buildChild();
  const found = SAMPLES.flatMap((s) => {
    const file = locate(s.name);
    if (!file) process.stderr.write(`codegen bench: ${s.name}.matter not found (set MI_SHARED_MATTER), skipped\n`);
    return file ? [{ ...s, file }] : [];
  });
  // Samples interleaved round by round, so a burst of load from other processes on this shared
  // machine spreads over all of them instead of skewing one; each round runs every sample once
  // without the code cache (the last of those writes it) and once with it. The last round also runs warm.
  const results = new Map<string, ChildResult[]>(found.map((s) => [s.name, []]));
  const firstRuns = new Map<string, ChildResult[]>(found.map((s) => [s.name, []]));
  for (let round = 0; round < COLD_PROCESSES; round++) {
    for (const s of found) firstRuns.get(s.name)!.push(runChild(child, s.file, `${s.name}.matter`, 0, false));
    for (const s of found) {
      results.get(s.name)!.push(runChild(child, s.file, `${s.name}.matter`, round === COLD_PROCESSES - 1 ? WARM_RUNS : 0, true));
    }
  }
  const figures: Record<string, Figure> = {};
  const goal = 'ratio >= 10';
  const both = `${PEER}, parse only`;
  for (const { name, peerMs } of found) {
    const runs = results.get(name)!;
    const warm = runs[runs.length - 1]!;
    const coldBoth = runs.map((r) => r.coldBoth);
    figures[`codegen ${name} parse (cold)`] = timeFigure(median(runs.map((r) => r.coldParse)), 'ms', PEER, peerMs, goal);
    figures[`codegen ${name} parse (warm median)`] = timeFigure(median(warm.parse), 'ms', PEER, peerMs, goal);
    figures[`codegen ${name} parse+generate (cold)`] = timeFigure(median(coldBoth), 'ms', both, peerMs, goal);
    // The best process / run shows the cost without other processes' interference on a shared machine.
    figures[`codegen ${name} parse+generate (cold best)`] = timeFigure(Math.min(...coldBoth), 'ms', both, peerMs, goal);
    figures[`codegen ${name} parse+generate (cold, first run)`] = timeFigure(median(firstRuns.get(name)!.map((r) => r.coldBoth)), 'ms', both, peerMs, goal);
    figures[`codegen ${name} parse+generate (warm median)`] = timeFigure(median(warm.both), 'ms', both, peerMs, goal);
    figures[`codegen ${name} parse+generate (warm best)`] = timeFigure(Math.min(...warm.both), 'ms', both, peerMs, goal);
  }
  return figures;
}
