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

  it("with durability 'process': the same behaviour, values of unchanged length replaced in place", async () => {
    const storage = new NodeFileStorage(dir, { durability: 'process' });
    expect(storage.durability).toBe('process');
    await storage.set('ota.state', Uint8Array.of(1, 2, 3));
    expect(statSync(join(dir, 'ota.state')).mode & 0o777).toBe(0o600);
    const inode = statSync(join(dir, 'ota.state')).ino;
    await storage.set('ota.state', Uint8Array.of(4, 5, 6));
    expect(statSync(join(dir, 'ota.state')).ino).toBe(inode);
    expect(await storage.get('ota.state')).toEqual(Uint8Array.of(4, 5, 6));
    await storage.set('ota.state', Uint8Array.of(7, 8));
    expect(statSync(join(dir, 'ota.state')).ino).not.toBe(inode);
    expect(await storage.get('ota.state')).toEqual(Uint8Array.of(7, 8));
    await Promise.all(Array.from({ length: 20 }, (_, i) => storage.set('counter', Uint8Array.of(i, i))));
    expect(await storage.get('counter')).toEqual(Uint8Array.of(19, 19));
    // a directory written in one mode reads the same in the other
    expect(await new NodeFileStorage(dir).get('ota.state')).toEqual(Uint8Array.of(7, 8));
    await storage.delete('ota.state');
    expect(await storage.keys()).toEqual(['counter']);
    expect(readdirSync(dir)).toEqual(['counter']);
    expect(() => new NodeFileStorage(dir, { durability: 'eventually' as 'power' })).toThrow('expected durability "power" or "process", got "eventually"');
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
