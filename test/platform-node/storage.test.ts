import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_VALUE_BYTES, NodeFileStorage } from '../../platform/node/index.js';
import { ArgumentError, LimitExceededError } from '../../modules/util/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mi-storage-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('NodeFileStorage', () => {
  it('sets, gets, lists and deletes, with files of mode 0600', async () => {
    const storage = new NodeFileStorage(dir);
    expect(await storage.get('missing')).toBeUndefined();
    await storage.set('prov.step', Uint8Array.of(1, 2, 3));
    await storage.set('thing_name', Uint8Array.of(4));
    expect(await storage.get('prov.step')).toEqual(Uint8Array.of(1, 2, 3));
    expect(await storage.keys()).toEqual(['prov.step', 'thing_name']);
    expect(statSync(join(dir, 'prov.step')).mode & 0o777).toBe(0o600);
    await storage.delete('prov.step');
    await storage.delete('prov.step');
    expect(await storage.keys()).toEqual(['thing_name']);
    expect(await new NodeFileStorage(dir).get('thing_name')).toEqual(Uint8Array.of(4));
  });

  it('keeps the last of concurrent sets to one key', async () => {
    const storage = new NodeFileStorage(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => storage.set('counter', Uint8Array.of(i))));
    expect(await storage.get('counter')).toEqual(Uint8Array.of(19));
  });

  it('copies the value at set time', async () => {
    const storage = new NodeFileStorage(dir);
    const value = Uint8Array.of(1, 2);
    const done = storage.set('k', value);
    value[0] = 9;
    await done;
    expect(await storage.get('k')).toEqual(Uint8Array.of(1, 2));
  });

  it('enforces the ESP32 NVS limits: key names and value sizes', async () => {
    const storage = new NodeFileStorage(dir);
    expect(() => storage.set('a-key-that-is-too-long', new Uint8Array(1))).toThrow(ArgumentError);
    expect(() => storage.set('bad/key', new Uint8Array(1))).toThrow(ArgumentError);
    expect(() => storage.set('.hidden', new Uint8Array(1))).toThrow(ArgumentError);
    expect(() => storage.set('big', new Uint8Array(MAX_VALUE_BYTES + 1))).toThrow(LimitExceededError);
    await storage.set('big', new Uint8Array(MAX_VALUE_BYTES));
  });

  it('sweeps temp files a crash left behind and never lists them', async () => {
    writeFileSync(join(dir, '.k.tmp-123-1'), 'half');
    const storage = new NodeFileStorage(dir);
    expect(readdirSync(dir)).toEqual([]);
    expect(await storage.keys()).toEqual([]);
  });
});
