/**
 * OTA end to end: device processes (real Node platform, key store, MQTT agent over TLS, jobs handler,
 * OTA agent, boot loader) against the local cloud (simulator: broker, Jobs, OTA tasks, firmware
 * server). Images are esbuild bundles of the device program; the boot loader really runs them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigningKey } from '../../simulator/sign-firmware.js';
import { rounds } from '../helpers/rounds.js';
import { buildDeviceImage } from './fixtures/build-image.js';
import {
  DeviceUnderTest,
  execution,
  provisionDevice,
  publishFirmware,
  startProxy,
  startOtaWorld,
  waitForExecution,
  type OtaWorld,
} from './fixtures/ota-cloud.js';

let world: OtaWorld;
let root: string;
const devices: DeviceUnderTest[] = [];
let serial = 0;

async function newDevice(options: Partial<DeviceUnderTest['config']> = {}): Promise<DeviceUnderTest> {
  const identity = await provisionDevice(world, `SN-OTA-${++serial}`);
  const device = new DeviceUnderTest(world, identity, options);
  devices.push(device);
  device.start();
  await device.waitForEvent((e) => e.event === 'running', 60_000);
  return device;
}

async function createTask(device: DeviceUnderTest, document: unknown): Promise<string> {
  const task = await world.cloud.createOtaTask({ Target: [device.config.thingName], JobDocument: document as Record<string, unknown> });
  return task.TaskId;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mi-ota-e2e-'));
  world = await startOtaWorld(root);
}, 60_000);

afterAll(async () => {
  for (const d of devices) await d.stop();
  await world?.cloud.stop();
  if (process.env.KEEP_OTA_E2E !== '1') rmSync(root, { recursive: true, force: true });
});

describe('OTA end to end', () => {
  it('updates: downloads, verifies, reboots into the new image, self-tests and reports SUCCEEDED', async () => {
    const device = await newDevice();
    const image = await buildDeviceImage('1.1.0');
    const doc = publishFirmware(world, 'ok-1.1.0.bin', image, '1.1.0');
    const jobId = await createTask(device, doc);
    const done = await waitForExecution(world, jobId, device.config.thingName, ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT'], 90_000);
    expect(done).toEqual({ status: 'SUCCEEDED', statusDetails: { reason: 'accepted v1.1.0', self_test: 'accepted' } });
    const boots = device.events().filter((e) => e.event === 'boot');
    expect(boots.map((b) => [b.version, b.running, b.pendingVerify])).toEqual([
      ['1.0.0', 'A', false],
      ['1.1.0', 'B', true],
    ]);
    // the new image ran its self-test, once
    expect(device.events().filter((e) => e.event === 'self-test')).toMatchObject([{ version: '1.1.0', result: 'pass' }]);
    // one Range request for the whole image, read to its end
    const gets = device.events().filter((e) => e.event === 'http-get');
    expect(gets.map((e) => [e.start, e.end])).toEqual([[0, image.length - 1]]);
    expect(device.events().filter((e) => e.event === 'http-end').map((e) => e.position)).toEqual([image.length]);
  }, 120_000);

  const TERMINAL = ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'CANCELED'];

  it('installs an AWS afr_ota document from the HTTPS firmware server', async () => {
    const device = await newDevice({ firmwareCaPem: world.cloud.caPem });
    const image = await buildDeviceImage('1.0.1');
    const signed = publishFirmware(world, 'afr.bin', image, '1.0.1', { url: world.cloud.firmwareUrl('afr.bin', true) });
    const afr = {
      afr_ota: {
        protocols: ['HTTP'],
        files: [
          {
            filepath: '/afr.bin',
            filesize: image.length,
            fileid: 0,
            certfile: 'code-sign.crt',
            update_data_url: signed.ota.url,
            auth_scheme: 'aws.s3.presigned',
            'sig-sha256-ecdsa': signed.ota.signature,
          },
        ],
      },
    };
    expect(signed.ota.url.startsWith('https://')).toBe(true);
    const jobId = await createTask(device, afr);
    const done = await waitForExecution(world, jobId, device.config.thingName, TERMINAL, 90_000);
    // afr_ota has no version: the new image's own version is checked against updatedBy after boot
    expect(done).toEqual({ status: 'SUCCEEDED', statusDetails: { reason: 'accepted v1.0.1', self_test: 'accepted' } });
    expect(device.events().filter((e) => e.event === 'boot').map((b) => b.version)).toEqual(['1.0.0', '1.0.1']);
  }, 120_000);
  const SIGNED_BY_OTHER = createSigningKey().privateKeyPem;

  it('never activates an image with a bad signature', async () => {
    const device = await newDevice();
    const image = await buildDeviceImage('1.1.0');
    const doc = publishFirmware(world, 'badsig.bin', image, '1.1.0', { keyPem: SIGNED_BY_OTHER });
    const jobId = await createTask(device, doc);
    const done = await waitForExecution(world, jobId, device.config.thingName, TERMINAL);
    expect(done).toEqual({ status: 'FAILED', statusDetails: { reason: 'image signature does not verify with code-signing key "Code Sign Cert"' } });
    expect(device.starts).toBe(1);
    expect(device.bootState()).toMatchObject({ running: 'A', nextBoot: 'A', pendingVerify: false });
  }, 90_000);

  it('never activates an image whose SHA-256 differs from the document', async () => {
    const device = await newDevice();
    const image = await buildDeviceImage('1.1.0');
    const doc = publishFirmware(world, 'digest.bin', image, '1.1.0');
    const wrong = createHash('sha256').update('another image').digest('hex');
    const jobId = await createTask(device, { ota: { ...doc.ota, sha256: wrong } });
    const done = await waitForExecution(world, jobId, device.config.thingName, TERMINAL);
    expect(done.status).toBe('FAILED');
    expect(done.statusDetails.reason).toBe(`SHA-256 mismatch: expected ${wrong}, got ${doc.ota.sha256}`);
    expect(device.starts).toBe(1);
    expect(device.bootState()).toMatchObject({ running: 'A', nextBoot: 'A' });
  }, 90_000);

  it('fails a truncated download (the server has fewer bytes than the document says)', async () => {
    const device = await newDevice();
    const image = await buildDeviceImage('1.1.0');
    const doc = publishFirmware(world, 'truncated.bin', image, '1.1.0');
    const served = 200_000;
    writeFileSync(join(world.cloud.firmwareDir, 'truncated.bin'), image.subarray(0, served));
    const jobId = await createTask(device, doc);
    const done = await waitForExecution(world, jobId, device.config.thingName, TERMINAL);
    expect(done.status).toBe('FAILED');
    expect(done.statusDetails.reason).toBe(`image size mismatch: the server's file is ${served} bytes (expected ${image.length} bytes, got ${served})`);
    expect(device.starts).toBe(1);
  }, 90_000);

  it('continues where it stopped when the server drops the connection mid-file', async () => {
    const device = await newDevice();
    const image = await buildDeviceImage('1.1.0');
    // one request for the rest of the image each time: cut three connections 40,000 bytes in
    const proxy = await startProxy(world.cloud.httpPort, { cutAfter: 40_000, cuts: 3 });
    try {
      const doc = publishFirmware(world, 'drops.bin', image, '1.1.0', { url: `http://127.0.0.1:${proxy.port}/firmware/drops.bin` });
      const jobId = await createTask(device, doc);
      const done = await waitForExecution(world, jobId, device.config.thingName, TERMINAL, 90_000);
      expect(done.status).toBe('SUCCEEDED');
      const firstRun = device.events().filter((e) => e.pid === device.events()[0]!.pid);
      const starts = firstRun.filter((e) => e.event === 'http-get').map((e) => e.start as number);
      const ends = firstRun.filter((e) => e.event === 'http-end').map((e) => e.position as number);
      // three cut connections, then one that carries the rest
      expect(starts).toHaveLength(4);
      expect(starts[0]).toBe(0);
      // each request starts at the byte after the last one received: nothing is downloaded twice
      for (let i = 1; i < starts.length; i++) {
        expect(starts[i]).toBe(ends[i - 1]);
        expect(starts[i]).toBeGreaterThan(starts[i - 1]!);
      }
      expect(ends.at(-1)).toBe(image.length);
      expect(proxy.connections).toBe(4);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it(`survives SIGKILL mid-download ${rounds(20, 5)} times, each resume downloading at most one block again`, async () => {
    const device = await newDevice();
    const blockSize = device.config.blockSize;
    const image = await buildDeviceImage('1.1.0', { totalBytes: 3_500_000 });
    const proxy = await startProxy(world.cloud.httpPort, { bytesPerSecond: 6_000_000 });
    try {
      const doc = publishFirmware(world, 'big.bin', image, '1.1.0', { url: `http://127.0.0.1:${proxy.port}/firmware/big.bin` });
      const jobId = await createTask(device, doc);
      const kills = rounds(20, 5);
      const redownloaded: number[] = [];
      for (let i = 0; i < kills; i++) {
        const threshold = Math.floor((image.length * (i + 1)) / (kills + 2));
        await device.waitFor(() => device.position() >= threshold, `round ${i}: position ${threshold}`, 60_000);
        await device.kill();
        const received = device.position();
        const seen = device.events().length;
        device.start();
        const get = await device.waitForEventAfter(seen, (e) => e.event === 'http-get', 60_000);
        const resumedAt = get.start as number;
        expect(resumedAt % blockSize).toBe(0);
        expect(resumedAt).toBeLessThanOrEqual(received);
        redownloaded.push(received - resumedAt);
      }
      const done = await waitForExecution(world, jobId, device.config.thingName, TERMINAL, 120_000);
      expect(done.status).toBe('SUCCEEDED');
      console.log(`OTA SIGKILL: ${kills} kills, bytes downloaded again per resume: max ${Math.max(...redownloaded)}, mean ${Math.round(redownloaded.reduce((a, b) => a + b, 0) / kills)} (block ${blockSize})`);
      for (const r of redownloaded) expect(r).toBeLessThanOrEqual(blockSize);
      // the resumes really resumed: most of them not from zero
      expect(redownloaded.length).toBe(kills);
      const boots = device.events().filter((e) => e.event === 'boot');
      expect(boots.at(-1)).toMatchObject({ version: '1.1.0', running: 'B' });
    } finally {
      await proxy.close();
    }
  }, 600_000);

  it('rolls back and reports FAILED when the new image fails its self-test', async () => {
    const device = await newDevice();
    const image = await buildDeviceImage('1.1.0', { selfTest: 'fail' });
    const doc = publishFirmware(world, 'selftest-fail.bin', image, '1.1.0');
    const jobId = await createTask(device, doc);
    const done = await waitForExecution(world, jobId, device.config.thingName, TERMINAL, 90_000);
    expect(done).toEqual({
      status: 'FAILED',
      statusDetails: { reason: 'self-test failed: the application self-test threw: selftest: peripheral check failed', self_test: 'rejected' },
    });
    await device.waitFor(() => device.events().filter((e) => e.event === 'boot').length === 3, 'boot after rollback', 30_000);
    const boots = device.events().filter((e) => e.event === 'boot');
    expect(boots.map((b) => [b.version, b.running, b.pendingVerify])).toEqual([
      ['1.0.0', 'A', false],
      ['1.1.0', 'B', true],
      ['1.0.0', 'A', false],
    ]);
    await device.waitForEvent((e) => e.event === 'running' && e.pid === boots[2]!.pid, 30_000);
    expect(device.bootState()).toMatchObject({ running: 'A', nextBoot: 'A', pendingVerify: false });
  }, 120_000);

  it('stops the download when the job is cancelled and leaves the running image untouched', async () => {
    const device = await newDevice();
    const image = await buildDeviceImage('1.1.0', { totalBytes: 3_000_000 });
    const proxy = await startProxy(world.cloud.httpPort, { bytesPerSecond: 3_000_000 });
    try {
      const doc = publishFirmware(world, 'cancel.bin', image, '1.1.0', { url: `http://127.0.0.1:${proxy.port}/firmware/cancel.bin` });
      const slotA = readFileSync(join(device.config.dataDir, 'firmware', 'slot-A.bin'));
      const jobId = await createTask(device, doc);
      await device.waitFor(() => device.position() >= 600_000, 'download under way', 60_000);
      await world.cloud.cancelOtaTask(jobId);
      const outcome = await device.waitForEvent((e) => e.event === 'outcome' && e.status === 'cancelled', 30_000);
      expect(outcome).toMatchObject({ jobId, jobStatus: 'CANCELED' });
      const stoppedAt = device.position();
      expect(stoppedAt).toBeLessThan(image.length);
      await new Promise((r) => setTimeout(r, 500));
      expect(device.position()).toBe(stoppedAt);
      expect(execution(world, jobId, device.config.thingName)?.status).toBe('CANCELED');
      expect(device.starts).toBe(1);
      expect(device.running).toBe(true);
      expect(device.bootState()).toMatchObject({ running: 'A', nextBoot: 'A', pendingVerify: false });
      expect(readFileSync(join(device.config.dataDir, 'firmware', 'slot-A.bin'))).toEqual(slotA);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it('finishes the running update before a second job notified meanwhile, then runs that one', async () => {
    const device = await newDevice();
    const first = await buildDeviceImage('1.1.0', { totalBytes: 2_000_000 });
    const second = await buildDeviceImage('1.2.0');
    const proxy = await startProxy(world.cloud.httpPort, { bytesPerSecond: 4_000_000 });
    try {
      const doc1 = publishFirmware(world, 'two-1.bin', first, '1.1.0', { url: `http://127.0.0.1:${proxy.port}/firmware/two-1.bin` });
      const doc2 = publishFirmware(world, 'two-2.bin', second, '1.2.0');
      const job1 = await createTask(device, doc1);
      await device.waitFor(() => device.position() >= 300_000, 'first download under way', 60_000);
      const job2 = await createTask(device, doc2);
      const done1 = await waitForExecution(world, job1, device.config.thingName, TERMINAL, 90_000);
      expect(done1.status).toBe('SUCCEEDED');
      const done2 = await waitForExecution(world, job2, device.config.thingName, TERMINAL, 90_000);
      expect(done2).toEqual({ status: 'SUCCEEDED', statusDetails: { reason: 'accepted v1.2.0', self_test: 'accepted' } });
      const events = device.events();
      const finished1 = events.findIndex((e) => e.type === 'finished' && e.jobId === job1);
      const started2 = events.findIndex((e) => e.type === 'download-started' && e.jobId === job2);
      expect(finished1).toBeGreaterThan(-1);
      expect(started2).toBeGreaterThan(finished1);
      // only one download of the first image: the second job did not disturb it
      expect(events.filter((e) => e.type === 'download-started' && e.jobId === job1)).toHaveLength(1);
      const boots = events.filter((e) => e.event === 'boot');
      expect(boots.map((b) => [b.version, b.running])).toEqual([
        ['1.0.0', 'A'],
        ['1.1.0', 'B'],
        ['1.2.0', 'A'],
      ]);
    } finally {
      await proxy.close();
    }
  }, 180_000);
});
