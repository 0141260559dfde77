import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  NodeClock,
  NodeLogger,
  NodeSystem,
  RESTART_EXIT_CODE,
  SimulatedWifi,
  NodeTimers,
  WifiConnectError,
  createNodePlatform,
  redactSecrets,
} from '../../platform/node/index.js';
import type { WifiStatus } from '../../platform/pal/index.js';
import { createTestPki } from '../helpers/pki.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('createNodePlatform', () => {
  it('returns every PAL interface, with files under dataDir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mi-platform-'));
    dirs.push(dataDir);
    const lines: string[] = [];
    const platform = createNodePlatform({ dataDir, log: { sink: (l) => lines.push(l) } });
    for (const key of ['storage', 'slots', 'keyStoreBackend', 'transport', 'http', 'timers', 'clock', 'random', 'text', 'log', 'system', 'wifi', 'digest'] as const) {
      expect(platform[key], key).toBeDefined();
    }
    await platform.storage.set('thing', platform.text.encode('name'));
    expect(platform.text.decode((await platform.storage.get('thing'))!)).toBe('name');
    expect(statSync(join(dataDir, 'storage', 'thing')).mode & 0o777).toBe(0o600);
    await platform.keyStoreBackend.generateKeyPair('Device Key', 'EC-P256');
    expect((await platform.keyStoreBackend.list()).length).toBe(2);
    expect(platform.slots.boot().running).toBe('A');
    expect(platform.random.bytes(16)).toHaveLength(16);
    expect(platform.random.bytes(16)).not.toEqual(platform.random.bytes(16));
    expect(platform.wifi.status).toBe('got-ip');
    const hash = platform.digest!.sha256();
    hash.update(platform.text.encode('abc'));
    expect(Buffer.from(hash.digest()).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    platform.log.log('info', 'test', 'hello', { n: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  \[test\] hello \{"n":1\}$/);
    const fired = await new Promise<number>((resolve) => {
      const started = platform.clock.monotonic();
      platform.timers.set(() => resolve(platform.clock.monotonic() - started), 20);
    });
    expect(fired).toBeGreaterThanOrEqual(19);
  });

  it('takes overrides', () => {
    const timers = new NodeTimers();
    const platform = createNodePlatform({ dataDir: mkdtempSync(join(tmpdir(), 'mi-platform-')), overrides: { timers } });
    dirs.push(platform.dataDir);
    expect(platform.timers).toBe(timers);
  });
});

describe('NodeClock', () => {
  it('is synchronised on Node by default; set() moves the wall clock and marks it synchronised', () => {
    expect(new NodeClock().synchronized).toBe(true);
    const clock = new NodeClock({ synchronized: false });
    expect(clock.synchronized).toBe(false);
    const monotonicBefore = clock.monotonic();
    clock.set(Date.UTC(2030, 0, 1));
    expect(clock.synchronized).toBe(true);
    expect(Math.abs(clock.now() - Date.UTC(2030, 0, 1))).toBeLessThan(1000);
    expect(clock.monotonic()).toBeGreaterThanOrEqual(monotonicBefore);
  });
});

describe('NodeTimers', () => {
  it('repeats and clears', async () => {
    const timers = new NodeTimers();
    let count = 0;
    const handle = timers.repeat(() => count++, 5);
    await new Promise((r) => setTimeout(r, 60));
    timers.clear(handle);
    const frozen = count;
    await new Promise((r) => setTimeout(r, 30));
    expect(frozen).toBeGreaterThan(2);
    expect(count).toBe(frozen);
    let fired = false;
    timers.clear(timers.set(() => (fired = true), 5));
    timers.clear(undefined);
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(false);
  });
});

describe('NodeLogger', () => {
  it('filters by level and writes one line per entry, with byte fields shown as lengths', () => {
    const lines: string[] = [];
    const log = new NodeLogger({ level: 'warn', sink: (l) => lines.push(l) });
    log.log('info', 'mqtt', 'dropped');
    log.log('error', 'mqtt', 'line one\nline two', { payload: new Uint8Array(40), err: new Error('boom') });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('ERROR [mqtt] line one\\nline two {"payload":"<40 bytes>","err":{"name":"Error","message":"boom"}}');
  });

  it('redacts private keys even when a caller passes one by mistake', async () => {
    const pki = await createTestPki();
    const lines: string[] = [];
    const log = new NodeLogger({ sink: (l) => lines.push(l) });
    const der = Buffer.from(pki.clientRsa.keyDer);
    log.log('error', 'oops', `key: ${pki.clientRsa.keyPem}`);
    log.log('error', 'oops', 'fields', { key: der.toString('base64'), hex: der.toString('hex') });
    log.log('error', 'oops', 'cut pem -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI');
    const text = lines.join('\n');
    expect(text).not.toContain(der.toString('base64').slice(40, 80));
    expect(text).not.toContain(der.toString('hex').slice(40, 80));
    expect(text).not.toContain('PRIVATE KEY-----\\nMHcC');
    // Ordinary ids stay readable.
    const certificateId = 'a'.repeat(64);
    expect(redactSecrets(`certificateId ${certificateId}`)).toContain(certificateId);
  });
});

describe('NodeSystem.reboot', () => {
  it(`ends the device with exit code ${RESTART_EXIT_CODE} after the beforeExit hook`, async () => {
    const calls: string[] = [];
    const system = new NodeSystem({ beforeExit: (r) => void calls.push(`before ${r}`), exit: (code, r) => void calls.push(`exit ${code} ${r}`) });
    void system.reboot('ota');
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual(['before ota', `exit ${RESTART_EXIT_CODE} ota`]);
  });
});

describe('SimulatedWifi', () => {
  const timers = new NodeTimers();

  it('goes connecting → connected → got-ip and scans the configured networks', async () => {
    const wifi = new SimulatedWifi(timers, {
      initialSsid: null,
      stepDelayMs: 1,
      networks: [
        { ssid: 'home', rssi: -50, channel: 1, secure: true, password: 'secret' },
        { ssid: 'cafe', rssi: -70, channel: 11, secure: false },
      ],
    });
    expect(wifi.status).toBe('disconnected');
    const seen: WifiStatus[] = [];
    const unsubscribe = wifi.onChanged((s) => seen.push(s));
    expect((await wifi.scan()).map((n) => n.ssid)).toEqual(['home', 'cafe']);
    await wifi.connect({ ssid: 'home', password: 'secret' });
    expect(seen).toEqual(['connecting', 'connected', 'got-ip']);
    await wifi.disconnect();
    unsubscribe();
    await wifi.connect({ ssid: 'cafe' });
    expect(seen).toEqual(['connecting', 'connected', 'got-ip', 'disconnected']);
  });

  it('fails on a wrong password or an unknown network', async () => {
    const wifi = new SimulatedWifi(timers, { initialSsid: null, stepDelayMs: 1, networks: [{ ssid: 'home', rssi: -50, channel: 1, secure: true, password: 'secret' }] });
    await expect(wifi.connect({ ssid: 'home', password: 'wrong' })).rejects.toMatchObject({ reason: 'auth-failed' });
    await expect(wifi.connect({ ssid: 'nope' })).rejects.toMatchObject({ reason: 'no-ap-found' });
    expect(wifi.status).toBe('disconnected');
  });

  it('lets a test script failures: fail the next N connects, then drop the link', async () => {
    const wifi = new SimulatedWifi(timers, { stepDelayMs: 1 });
    expect(wifi.status).toBe('got-ip');
    const seen: WifiStatus[] = [];
    wifi.onChanged((s) => seen.push(s));
    wifi.dropConnection();
    expect(wifi.status).toBe('disconnected');
    wifi.failNextConnects(2);
    for (let i = 0; i < 2; i++) {
      const error = await wifi.connect({ ssid: 'node-host' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WifiConnectError);
      expect((error as WifiConnectError).reason).toBe('scripted-failure');
    }
    await wifi.connect({ ssid: 'node-host' });
    expect(wifi.status).toBe('got-ip');
    expect(seen).toEqual(['disconnected', 'connecting', 'disconnected', 'connecting', 'disconnected', 'connecting', 'connected', 'got-ip']);
  });
});
