/**
 * The XS lane's driver (test/xs/run.mjs) run as a child process on fixture scenario files: it must
 * report passes with figures, and fail the run for a failed assertion, an exception, an unhandled
 * rejection, a stalled scenario, a throwing timer callback and a file without scenarios.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(root, 'test/moddable/xs-runner-fixtures');

interface Report {
  passed: number;
  failed: number;
  scenarios: { file: string; scenario: string; result: string; failure?: string; compute: number; heapBefore: number; measures: { label: string; compute: number }[] }[];
}

function runLane(filter: string): { status: number | null; report: Report; stdout: string } {
  const reportFile = path.join(mkdtempSync(path.join(tmpdir(), 'xs-runner-')), 'report.json');
  const result = spawnSync(process.execPath, ['test/xs/run.mjs', '--dir', fixtures, '--report', reportFile, filter], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, report: JSON.parse(readFileSync(reportFile, 'utf8')) as Report, stdout: result.stdout };
}

describe('XS lane runner', () => {
  it('passes a passing scenario and records its figures', () => {
    const { status, report, stdout } = runLane('passing');
    expect(status).toBe(0);
    expect(report.passed).toBe(1);
    const [row] = report.scenarios;
    expect(row!.result).toBe('pass');
    expect(row!.compute).toBeGreaterThan(0);
    expect(row!.heapBefore).toBeGreaterThan(1000);
    expect(row!.measures.map((m) => m.label)).toEqual(['sum']);
    expect(row!.measures[0]!.compute).toBeGreaterThan(0);
    expect(stdout).toMatch(/passes\s+pass/);
  });

  it('fails the run for every failure mode, each with its reason', () => {
    const { status, report } = runLane('failing');
    expect(status).toBe(1);
    const failures = Object.fromEntries(report.scenarios.map((row) => [row.scenario, row]));
    expect(Object.values(failures).every((row) => row.result === 'fail')).toBe(true);
    expect(failures['assertion']!.failure).toMatch(/objects: expected \{"a":2\}, got \{"a":1\}/);
    expect(failures['exception']!.failure).toMatch(/RangeError: boom/);
    expect(failures['unhandled rejection']!.failure).toMatch(/unhandled promise rejection: Error: nobody catches this/);
    expect(failures['stall']!.failure).toMatch(/stalled/);
    expect(failures['timer callback throws']!.failure).toMatch(/from a timer/);
  }, 120_000);

  it('fails a file that registers no scenario', () => {
    const { status, report } = runLane('empty');
    expect(status).toBe(1);
    expect(report.scenarios[0]!.failure).toMatch(/registers no scenario/);
  });
});
