// The XS lane driver (`npm run test:xs [-- FILTER] [--verbose]`). Plain Node ESM, never inside vitest:
// @agoric/xsnap needs @endo/init, which locks down this process's intrinsics.
//
// For each scenario file (test/xs/scenarios/*.xs.ts, examples/*/xs/*.xs.ts) it builds one IIFE with
// the Moddable build's esbuild config (tools/moddable-bundle-config.mjs, lane target), and for each
// scenario the file registers it starts a fresh xsnap worker, evaluates the bundle, and steers the
// scenario through test/xs/harness.ts with one JSON command per crank, reading XS's meter from every
// reply. Prints a table, writes build/xs-report.json, exits 1 if anything failed.
import '@endo/init/debug.js';
import { xsnap } from '@agoric/xsnap';
import * as esbuild from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tmp from 'tmp';
import { repoRoot, moddablePreludes, xsBuildOptions } from '../../tools/moddable-bundle-config.mjs';

const MAX_CRANKS = 200_000; // a scenario that needs more is spinning on a repeating timer
const SCENARIO_WALL_LIMIT_MS = Number(process.env.XS_SCENARIO_TIMEOUT_MS ?? 60_000);

const args = process.argv.slice(2);
const verbose = args.includes('--verbose') || process.env.XS_VERBOSE === '1';
// --dir DIR: scenario files from DIR instead of the default places (the runner's own tests use it).
const dirIndex = args.indexOf('--dir');
const scenarioDirOverride = dirIndex >= 0 ? path.resolve(args[dirIndex + 1] ?? '') : undefined;
// --report FILE: where the JSON report goes (default build/xs-report.json).
const reportIndex = args.indexOf('--report');
const reportPath = reportIndex >= 0 ? path.resolve(args[reportIndex + 1] ?? '') : path.join(repoRoot, 'build/xs-report.json');
const filters = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--dir' && args[i - 1] !== '--report');

function discover() {
  if (scenarioDirOverride) {
    return fs.readdirSync(scenarioDirOverride).filter((name) => name.endsWith('.xs.ts')).sort().map((name) => path.join(scenarioDirOverride, name));
  }
  const files = [];
  const scenarioDir = path.join(repoRoot, 'test/xs/scenarios');
  for (const name of fs.existsSync(scenarioDir) ? fs.readdirSync(scenarioDir).sort() : []) {
    if (name.endsWith('.xs.ts')) files.push(path.join(scenarioDir, name));
  }
  const examples = path.join(repoRoot, 'examples');
  for (const example of fs.existsSync(examples) ? fs.readdirSync(examples).sort() : []) {
    const dir = path.join(examples, example, 'xs');
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) continue;
    for (const name of fs.readdirSync(dir).sort()) if (name.endsWith('.xs.ts')) files.push(path.join(dir, name));
  }
  return files;
}

/**
 * Scenarios that import `build/moddable-lane/…` test the device build's own output: build it first
 * (tools/build-moddable.ts, the same code as `npm run build:moddable`, into a directory of its own).
 * `build/moddable-lane-<example>/…` is the build of `npm run build:moddable -- <example>`.
 */
const deviceBuildsReady = new Set();
function ensureDeviceBuild(file) {
  const source = fs.readFileSync(file, 'utf8');
  const builds = new Set();
  if (source.includes('build/moddable-lane/')) builds.add('');
  for (const match of source.matchAll(/build\/moddable-lane-([a-z0-9-]+)\//g)) builds.add(match[1]);
  const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');
  for (const example of builds) {
    if (deviceBuildsReady.has(example)) continue;
    const out = example ? `build/moddable-lane-${example}` : 'build/moddable-lane';
    const result = spawnSync(tsx, ['tools/build-moddable.ts', ...(example ? [example] : []), '--out', out], { cwd: repoRoot, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`build:moddable ${example} for the lane failed: ${result.stderr || result.stdout}`);
    deviceBuildsReady.add(example);
  }
}

async function bundle(file) {
  ensureDeviceBuild(file);
  const imports = [...moddablePreludes, path.join(repoRoot, 'test/xs/harness.ts'), file]
    .map((entry) => `import ${JSON.stringify(entry)};`)
    .join('\n');
  const result = await esbuild.build({
    ...xsBuildOptions('lane'),
    stdin: { contents: imports, resolveDir: repoRoot, sourcefile: `${path.basename(file)}.lane-entry.js`, loader: 'js' },
    format: 'iife',
    write: false,
    sourcemap: false,
  });
  return result.outputFiles[0].text;
}

async function startWorker(name) {
  return xsnap({
    os: os.type(),
    spawn,
    fs: { ...fs, ...fsp, tmpName: tmp.tmpName },
    name,
    stdout: 'inherit',
    stderr: 'inherit',
    meteringLimit: 0,
  });
}

async function command(worker, op, extra = {}) {
  const { reply, meterUsage } = await worker.issueStringCommand(JSON.stringify({ op, ...extra }));
  return { reply: JSON.parse(reply), compute: meterUsage.compute ?? 0, heap: meterUsage.currentHeapCount ?? 0 };
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms of wall time`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Drives one started scenario to its end; returns its figures. */
async function drive(worker, index, record) {
  const gcBefore = await command(worker, 'gc');
  record.heapBefore = gcBefore.heap;
  let peak = gcBefore.heap;
  let compute = 0;
  let cranks = 0;
  const step = async (op, extra = {}) => {
    if (++cranks > MAX_CRANKS) throw new Error(`more than ${MAX_CRANKS} cranks: a repeating timer keeps the scenario alive`);
    const result = await command(worker, op, op === 'start' ? { index } : extra);
    compute += result.compute;
    peak = Math.max(peak, result.heap);
    collect(record, result.reply);
    return result;
  };
  let current = await step('start');
  for (;;) {
    const { state, nextDue } = current.reply;
    if (state === 'passed' || state === 'failed') break;
    if (state === 'running') {
      if (nextDue === undefined) {
        record.failure = 'stalled: the scenario waits for something no pending timer or command will ever resolve';
        break;
      }
      current = await step('advance');
      continue;
    }
    if (state === 'measure-pending') {
      const label = current.reply.measure;
      const before = await step('gc');
      let run = await step('measure-run');
      let measureCompute = run.compute;
      let measurePeak = run.heap;
      while (run.reply.state === 'measuring') {
        if (run.reply.nextDue === undefined) throw new Error(`measure('${label}') waits for something no timer will resolve`);
        run = await step('advance');
        measureCompute += run.compute;
        measurePeak = Math.max(measurePeak, run.heap);
      }
      const after = await step('gc');
      const measured = {
        label,
        compute: measureCompute,
        heapBefore: before.heap,
        heapPeak: measurePeak,
        heapRetained: after.heap,
        heapGrowth: after.heap - before.heap,
      };
      record.measures.push(measured);
      if (run.reply.state === 'failed') break;
      // The scenario can read what was measured (t.lastMeasure()) and derive figures of its own from it.
      current = await step('measure-resume', { measured });
      continue;
    }
    throw new Error(`unexpected harness state ${state}`);
  }
  if (current.reply.state === 'failed') record.failure = current.reply.failure;
  const gcAfter = await command(worker, 'gc');
  record.heapAfter = gcAfter.heap;
  record.heapPeak = peak;
  record.compute = compute;
  record.cranks = cranks;
}

function collect(record, reply) {
  for (const line of reply.logs ?? []) record.logs.push(line);
  for (const figure of reply.figures ?? []) record.figures.push(figure);
}

async function runFile(file, results) {
  const relative = path.relative(repoRoot, file);
  let code;
  const bundleStarted = Date.now();
  try {
    code = await bundle(file);
  } catch (error) {
    results.push(failedRecord(relative, '(bundle)', `esbuild failed: ${error.message}`));
    return;
  }
  const bundleMs = Date.now() - bundleStarted;
  let names;
  let index = 0;
  do {
    const record = {
      file: relative,
      scenario: names?.[index] ?? '(load)',
      result: 'fail',
      failure: undefined,
      bundleBytes: Buffer.byteLength(code),
      bundleMs,
      load: undefined,
      compute: 0,
      heapBefore: 0,
      heapAfter: 0,
      heapPeak: 0,
      measures: [],
      figures: [],
      logs: [],
      wallMs: 0,
    };
    const started = Date.now();
    let worker;
    try {
      worker = await startWorker(`xs-lane-${path.basename(file)}-${index}`);
      const loaded = await withTimeout(worker.evaluate(code), SCENARIO_WALL_LIMIT_MS, `loading ${relative}`);
      record.load = { compute: loaded.meterUsage.compute, heap: loaded.meterUsage.currentHeapCount };
      const listed = await command(worker, 'list');
      if (listed.reply.error) throw new Error(listed.reply.error);
      if (names === undefined) {
        names = listed.reply.names;
        if (names.length === 0) {
          record.failure = `${relative} registers no scenario (call scenario(name, fn) from test/xs/harness.ts)`;
          results.push(record);
          return;
        }
        record.scenario = names[index];
      }
      await withTimeout(drive(worker, index, record), SCENARIO_WALL_LIMIT_MS, `scenario '${record.scenario}'`);
      if (record.failure === undefined) record.result = 'pass';
    } catch (error) {
      record.failure ??= error?.message ?? String(error);
    } finally {
      record.wallMs = Date.now() - started;
      await worker?.terminate().catch(() => {});
    }
    results.push(record);
    index += 1;
  } while (names !== undefined && index < names.length);
}

function failedRecord(file, scenario, failure) {
  return { file, scenario, result: 'fail', failure, compute: 0, heapBefore: 0, heapAfter: 0, heapPeak: 0, measures: [], figures: [], logs: [] };
}

const n = (value) => (value === undefined ? '-' : value.toLocaleString('en-US'));

function printTable(results) {
  const rows = [['scenario', 'result', 'load compute', 'compute', 'heap before', 'heap after', 'heap peak', 'wall ms']];
  for (const r of results) {
    rows.push([`${path.basename(r.file)} › ${r.scenario}`, r.result, n(r.load?.compute), n(r.compute), n(r.heapBefore), n(r.heapAfter), n(r.heapPeak), n(r.wallMs)]);
    for (const m of r.measures) {
      rows.push([`    measure: ${m.label}`, '', '', n(m.compute), n(m.heapBefore), n(m.heapRetained), n(m.heapPeak), '']);
    }
    for (const f of r.figures) rows.push([`    figure: ${f.name}`, '', '', `${n(f.value)} ${f.unit}`, '', '', '', '']);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  const line = (row) => row.map((cell, column) => (column === 0 ? String(cell).padEnd(widths[column]) : String(cell).padStart(widths[column]))).join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
}

async function main() {
  const started = Date.now();
  let files = discover();
  if (filters.length > 0) files = files.filter((file) => filters.some((filter) => path.relative(repoRoot, file).includes(filter)));
  if (files.length === 0) {
    console.error(filters.length > 0 ? `no XS scenario file matches ${filters.join(', ')}` : 'no XS scenario files found');
    process.exit(1);
  }
  const results = [];
  for (const file of files) await runFile(file, results);

  printTable(results);
  const failed = results.filter((r) => r.result !== 'pass');
  for (const r of results) {
    if (r.result === 'pass' && !verbose) continue;
    if (r.logs.length === 0 && r.failure === undefined) continue;
    console.log(`\n--- ${r.file} › ${r.scenario}: ${r.result}`);
    for (const log of r.logs) console.log(`  log: ${log}`);
    if (r.failure) console.log(`  FAILED: ${r.failure.replace(/\n/g, '\n    ')}`);
  }
  const report = {
    engine: 'XS 13.3.0 via @agoric/xsnap 0.15.0 (x86-64 host)',
    units: { compute: 'XS meter units (deterministic instruction count)', heap: 'XS heap slots (16 bytes each on ESP32)' },
    generatedAt: new Date().toISOString(),
    wallMs: Date.now() - started,
    passed: results.length - failed.length,
    failed: failed.length,
    scenarios: results,
  };
  await fsp.mkdir(path.dirname(reportPath), { recursive: true });
  await fsp.writeFile(reportPath, JSON.stringify(report, null, 2) + '\n');
  console.log(`\n${results.length - failed.length} passed, ${failed.length} failed in ${((Date.now() - started) / 1000).toFixed(1)} s; report: ${path.relative(repoRoot, reportPath)}`);
  process.exit(failed.length > 0 ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
