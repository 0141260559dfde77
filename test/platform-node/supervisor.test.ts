import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RESTART_EXIT_CODE, superviseDevice } from '../../platform/node/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mi-supervisor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('superviseDevice', () => {
  it(`restarts the device on exit code ${RESTART_EXIT_CODE} and stops on any other`, async () => {
    const counter = join(dir, 'boots');
    writeFileSync(counter, '0');
    // A device that reboots twice, then shuts down with code 3.
    const script = `const fs=require('fs');const n=Number(fs.readFileSync(${JSON.stringify(counter)},'utf8'))+1;fs.writeFileSync(${JSON.stringify(counter)},String(n));process.exit(n<3?${RESTART_EXIT_CODE}:3);`;
    const starts: number[] = [];
    const device = superviseDevice({ command: process.execPath, args: ['-e', script], stdio: 'ignore', onStart: (_c, r) => starts.push(r) });
    const result = await device.exited;
    expect(result).toEqual({ code: 3, signal: null, restarts: 2 });
    expect(starts).toEqual([0, 1, 2]);
    expect(readFileSync(counter, 'utf8')).toBe('3');
  });

  it('gives up after maxRestarts (a boot loop) and can be stopped', async () => {
    const loop = superviseDevice({ command: process.execPath, args: ['-e', `process.exit(${RESTART_EXIT_CODE})`], stdio: 'ignore', maxRestarts: 2 });
    expect(await loop.exited).toEqual({ code: RESTART_EXIT_CODE, signal: null, restarts: 2 });
    const forever = superviseDevice({ command: process.execPath, args: ['-e', 'setInterval(()=>{},1000)'], stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 100));
    forever.stop();
    expect((await forever.exited).signal).toBe('SIGTERM');
  });
});
