// The air purifier's device entry (examples/air-purifier/moddable.ts) in XS on the Moddable platform
// fakes: the shared boot creates the agent with the OTA component and the example's endpoints (root
// node 0, purifier 1, sensor 2), resumes a provisioned identity and connects over the fake TLS socket
// to a mini broker on the lane network; a cloud-side MQTT client sends commands through the data
// model and reads what the device publishes while its simulated hardware runs on the virtual clock.
import { scenario } from '../../../test/xs/harness.js';
import { bootExampleOnLane, finishExampleScenario, recordStartupFigures, stateReportsOverThreeMinutes, type LaneDevice } from '../../../test/moddable/example-lane.js';
import type { DeviceApp } from '../../../platform/moddable/main.js';
import { airPurifierApp } from '../moddable.js';
import { OnOffCluster } from '../generated/on-off.js';
import { FanControlCluster } from '../generated/fan-control.js';
import { BasicInformationCluster } from '../generated/basic-information.js';
import { Pm25ConcentrationMeasurementCluster } from '../generated/pm25-concentration-measurement.js';
import { createModdablePlatform } from '../../../platform/moddable/index.js';
import { OtaStateStore } from '../../../modules/ota/index.js';
import { device as esp, ESP_IMAGE_MAGIC, ImageState } from '../../../test/xs/fakes/esp-bootloader.js';

scenario('air-purifier on the Moddable platform: boot, commands through the data model, 3 simulated minutes of reports', async (t) => {
  const device = await bootExampleOnLane(t, airPurifierApp, { serialNumber: 'AP-LANE-0001', productName: 'Lane Air Purifier', upc: '012345678905' });
  recordStartupFigures(t, 'air-purifier');
  const { summary } = device;
  t.equal(summary.agent?.state, 'running', 'agent running after boot');
  t.equal(summary.agent?.thingName, 'lane-air-purifier', 'resumed the provisioned identity');
  t.assert(summary.ota?.jobs !== undefined, 'the OTA component started its jobs handler');
  t.assert(device.broker.received.some((p) => p.cmd === 'subscribe' && JSON.stringify(p).includes('/jobs/')), 'jobs topics subscribed');

  const capabilities = device.northJson('setup/capabilities');
  t.equal(capabilities.length, 1, 'one capability report');
  const reported = JSON.stringify(capabilities[0]);
  for (const id of [OnOffCluster.capabilityId, FanControlCluster.capabilityId, BasicInformationCluster.capabilityId, Pm25ConcentrationMeasurementCluster.capabilityId]) {
    t.assert(reported.includes(`"${id}"`), `capability report names ${id}`);
  }
  await t.sleep(100);
  const startUp = device.northJson('events');
  t.assert(JSON.stringify(startUp).includes('StartUp'), 'root node emitted BasicInformation.StartUp once running');

  const root = await device.command('root', [{ id: '0', capabilities: [{ id: BasicInformationCluster.capabilityId, actions: [{ name: 'ReadState', parameters: { propertiesToRead: ['ProductName', 'SerialNumber', 'SoftwareVersionString'] } }] }] }]);
  t.equal(root.endpoints[0].capabilities[0].properties, [
    { name: 'ProductName', value: 'Lane Air Purifier' },
    { name: 'SerialNumber', value: 'AP-LANE-0001' },
    { name: 'SoftwareVersionString', value: '1.0.0' },
  ], 'root node from the manifest config');

  const on = await device.command('on', [{ id: '1', capabilities: [{ id: OnOffCluster.capabilityId, actions: [{ name: 'On' }] }] }]);
  t.equal(on.endpoints[0].capabilities[0].actions, [{ name: 'On', responseCode: 200 }], 'OnOff.On');
  const read = await device.command('read', [{ id: '1', capabilities: [{ id: FanControlCluster.capabilityId, actions: [{ name: 'ReadState', parameters: { propertiesToRead: ['FanMode', 'PercentCurrent'] } }] }] }]);
  const [fanMode, percentCurrent] = read.endpoints[0].capabilities[0].properties;
  t.equal(fanMode, { name: 'FanMode', value: 5 }, 'On puts the fan in Auto');
  t.assert(percentCurrent.name === 'PercentCurrent' && percentCurrent.value > 0 && percentCurrent.value <= 100, `the fan spins (${percentCurrent.value}%)`);
  const step = await device.command('step', [{ id: '1', capabilities: [{ id: FanControlCluster.capabilityId, actions: [{ name: 'Step', parameters: { Direction: 0, Wrap: false } }] }] }]);
  t.equal(step.endpoints[0].capabilities[0].actions, [{ name: 'Step', responseCode: 200 }], 'FanControl.Step');
  const bad = await device.command('bad', [{ id: '1', capabilities: [{ id: FanControlCluster.capabilityId, actions: [{ name: 'UpdateState', parameters: { PercentSetting: 101 } }] }] }]);
  t.equal(bad.endpoints[0].capabilities[0].actions.map((a: any) => [a.responseCode, a.errors?.[0]?.code]), [[400, 'INVALID_VALUE']], 'PercentSetting 101 → 400');

  await summary.app!.selfTest!();
  t.log('self-test passed');

  const states = await stateReportsOverThreeMinutes(t, device);
  t.assert(states.length >= 10, `state reports over 3 minutes of virtual time (got ${states.length})`);
  const text = JSON.stringify(states);
  t.assert(text.includes(Pm25ConcentrationMeasurementCluster.capabilityId) && text.includes('MeasuredValue'), 'PM2.5 measurements reported');
  t.assert(text.includes('PercentCurrent'), 'fan speed reported');
  await finishExampleScenario(t, 'air-purifier', device, states);
});

/** The example's app with its self-test observed (and, for `failWith`, failed after it ran). */
function observedApp(calls: string[], failWith?: string): DeviceApp {
  return {
    name: airPurifierApp.name,
    setup(agent, context) {
      const running = airPurifierApp.setup(agent, context);
      return {
        ...running,
        async selfTest() {
          calls.push('self-test');
          await running.selfTest?.();
          if (failWith) throw new Error(failWith);
        },
      };
    },
  };
}

/** As the OTA agent leaves a device it updated to 1.1.0: image in ota_1, boot slot switched, reset, activation recorded. */
async function updatedTo110(): Promise<void> {
  const bootloader = esp.bootloader;
  bootloader.partitions[1][0] = ESP_IMAGE_MAGIC;
  bootloader.setBootSlot(1);
  bootloader.reset();
  const platform = createModdablePlatform();
  await new OtaStateStore(platform.storage, platform.text).save({ phase: 'activating', jobId: 'lane-ota-1', slot: 'B', fromSlot: 'A', version: '1.1.0', updatedBy: '1.0.0' });
}

function jobUpdates(device: LaneDevice): unknown[] {
  return device.broker.received
    .filter((p) => p.cmd === 'publish' && String(p.topic).endsWith('/jobs/lane-ota-1/update'))
    .map((p) => JSON.parse(new TextDecoder().decode(p.payload as Uint8Array)))
    .map((u) => [u.status, u.statusDetails?.self_test]);
}

scenario("air-purifier after an OTA update: the new image's first boot runs the example's self-test through the OTA component and marks itself valid", async (t) => {
  const calls: string[] = [];
  const device = await bootExampleOnLane(t, observedApp(calls), {
    serialNumber: 'AP-LANE-0002', productName: 'Lane Air Purifier', upc: '012345678905', firmwareVersion: '1.1.0', beforeBoot: updatedTo110,
  });
  t.equal([device.summary.bootState.running, device.summary.bootState.pendingVerify], ['B', true], 'booted the new image pending verification');
  t.equal(calls, ['self-test'], "the OTA component ran the example's self-test once");
  t.equal(esp.bootloader.states[1], ImageState.valid, 'self-test passed: the new image marked itself valid');
  t.equal([esp.bootloader.restarts, esp.bootloader.restartRequested], [1, false], 'no rollback');
  t.equal(jobUpdates(device), [['IN_PROGRESS', 'active'], ['SUCCEEDED', 'accepted']], 'the jobs service heard: self-test running, then SUCCEEDED with the self-test accepted');
  await device.shutdown();
});

scenario('air-purifier after an OTA update whose self-test fails: FAILED to the jobs service, rollback to the old image', async (t) => {
  const calls: string[] = [];
  const device = await bootExampleOnLane(t, observedApp(calls, 'fan stalled'), {
    serialNumber: 'AP-LANE-0003', productName: 'Lane Air Purifier', upc: '012345678905', firmwareVersion: '1.1.0', beforeBoot: updatedTo110,
  });
  t.equal(calls, ['self-test'], 'the self-test ran');
  t.assert(device.startError?.message.includes('rollback'), `start ended in the rollback, which restarts the device (the lane's FFI fake returns instead): ${device.startError?.message}`);
  t.equal(esp.bootloader.states[1], ImageState.invalid, 'the new image is marked invalid');
  t.equal([esp.bootloader.boot, esp.bootloader.restartRequested], [0, true], 'rollback to ota_0 and a restart requested');
  t.equal(jobUpdates(device), [['IN_PROGRESS', 'active'], ['FAILED', 'rejected']], 'the jobs service heard FAILED with the self-test rejected');
  await device.shutdown();
});
