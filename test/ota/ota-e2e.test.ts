/**
 * OTA end to end: device processes (real Node platform, key store, MQTT agent over TLS, jobs handler,
 * OTA agent, boot loader) against the local cloud (simulator: broker, Jobs, OTA tasks, firmware
 * server). Images are esbuild bundles of the device program; the boot loader really runs them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  startCuttingProxy,
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
    expect(device.events().filter((e) => e.event === 'http-get').map((e) => e.start)).toEqual([0]);
  }, 120_000);
});
