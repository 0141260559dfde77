/**
 * Storage atomicity under crashes: a child process writing in a loop through NodeFileStorage is killed
 * with SIGKILL at random instants; afterwards every key holds a complete value that is either the last
 * one whose `set` resolved (old) or the one being written (new). The child is bundled once with
 * esbuild so each of the many restarts costs a plain `node` start-up, not a TypeScript compile.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeFileStorage, type StorageDurability } from '../../platform/node/storage.js';
import { rounds } from '../helpers/rounds.js';
import { KEYS, checkValue, makeValue } from './fixtures/storage-writer.js';

let work: string;
let childScript: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mi-storage-crash-'));
  childScript = join(work, 'storage-writer.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures', 'storage-writer.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: childScript,
    logLevel: 'error',
  });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface RoundResult {
  committed: Map<string, number>;
  writesSeen: number;
}

/** Runs the writer, kills it with SIGKILL `killAfterMs` after its first write, and reports what it committed. */
function runAndKill(dataDir: string, killAfterMs: number, durability: StorageDurability): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, dataDir, durability], { stdio: ['ignore', 'pipe', 'pipe'] });
    const committed = new Map<string, number>();
    let writesSeen = 0;
    let buffered = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line === 'ready') continue;
        const [key, seq] = line.split(' ');
        committed.set(key!, Number(seq));
        // The clock starts at the first committed write: the writer is in its loop, so the kill
        // lands somewhere in the write path (temp file, fsync, rename, directory fsync) or between.
        if (writesSeen++ === 0) killTimer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (code ${code}): ${stderr}`));
      else resolve({ committed, writesSeen });
    });
  });
}

describe('NodeFileStorage under SIGKILL', () => {
  it('self-checking values detect damage (so the crash test can fail)', () => {
    const value = makeValue(5, 100);
    expect(checkValue(value)).toBe(5);
    expect(() => checkValue(value.subarray(0, 90))).toThrow(/payload bytes/);
    const flipped = value.slice();
    flipped[60]! ^= 1;
    expect(() => checkValue(flipped)).toThrow(/torn/);
  });

  for (const [durability, total] of [['power', rounds(200, 30)], ['process', rounds(100, 20)]] as const) {
    it(`every read after a kill yields the complete old or new value (durability ${durability}, ${total} kills)`, async () => {
      // Four writers at once, each on its own directory: start-up dominates a round, and overlaps well.
      const lanes = 4;
      const stats = { writes: 0, inFlight: 0, kills: 0 };
      await Promise.all(Array.from({ length: lanes }, (_, lane) => runLane(join(work, `${durability}-${lane}`), Math.ceil(total / lanes), durability, stats)));
      expect(stats.kills).toBeGreaterThanOrEqual(total);
      expect(stats.writes).toBeGreaterThanOrEqual(total);
      console.log(`storage crash test (${durability}): ${stats.kills} kills, ${stats.writes} committed writes, ${stats.inFlight} in-flight values found complete`);
    }, 180_000);
  }
});

async function runLane(dataDir: string, kills: number, durability: StorageDurability, stats: { writes: number; inFlight: number; kills: number }): Promise<void> {
  const last = new Map<string, number>(KEYS.map((k) => [k, 0]));
  for (let round = 0; round < kills; round++) {
    // `process` writes take microseconds: a shorter window still lands kills mid-write.
    const { committed, writesSeen } = await runAndKill(dataDir, Math.floor(Math.random() * (durability === 'power' ? 30 : 10)), durability);
    stats.kills++;
    stats.writes += writesSeen;
    for (const [key, seq] of committed) last.set(key, seq);
    const storage = new NodeFileStorage(dataDir, { durability });
    for (const key of KEYS) {
      const value = await storage.get(key);
      const before = last.get(key)!;
      if (value === undefined) {
        expect(before, `${key} vanished after round ${round}`).toBe(0);
        continue;
      }
      const seq = checkValue(value);
      // Old: the last set that resolved; new: the one in flight when the kill came.
      expect([before, before + 1], `${key} in round ${round}`).toContain(seq);
      if (seq === before + 1) stats.inFlight++;
      last.set(key, seq);
    }
    // The constructor swept the crash's temp files; only the keys remain.
    expect(readdirSync(dataDir).sort()).toEqual(KEYS.filter((k) => last.get(k)! > 0).sort());
  }
}
