// The air purifier's device entry (examples/air-purifier/moddable.ts) in XS on the Moddable platform
// fakes: the shared boot creates the agent with the OTA component and the example's endpoints (root
// node 0, purifier 1, sensor 2), resumes a provisioned identity and connects over the fake TLS socket
// to a mini broker on the lane network; a cloud-side MQTT client sends commands through the data
// model and reads what the device publishes while its simulated hardware runs on the virtual clock.
import { scenario } from '../../../test/xs/harness.js';
import { bootExampleOnLane, recordChunkFigures, recordStartupFigures } from '../../../test/moddable/example-lane.js';
import { airPurifierApp } from '../moddable.js';
import { OnOffCluster } from '../generated/on-off.js';
import { FanControlCluster } from '../generated/fan-control.js';
import { BasicInformationCluster } from '../generated/basic-information.js';
import { Pm25ConcentrationMeasurementCluster } from '../generated/pm25-concentration-measurement.js';

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

  const statesBefore = device.northJson('state').length;
  await t.sleep(180_000);
  const states = device.northJson('state').slice(statesBefore);
  t.assert(states.length >= 10, `state reports over 3 minutes of virtual time (got ${states.length})`);
  const text = JSON.stringify(states);
  t.assert(text.includes(Pm25ConcentrationMeasurementCluster.capabilityId) && text.includes('MeasuredValue'), 'PM2.5 measurements reported');
  t.assert(text.includes('PercentCurrent'), 'fan speed reported');
  t.figure('air-purifier: state reports in 3 simulated minutes', states.length, 'messages');
  t.figure('air-purifier: capability report', device.published.find((m) => m.topic.endsWith('/setup/capabilities'))!.payload.length, 'B');
  recordChunkFigures(t, 'air-purifier', device.published);
  t.equal(summary.agent?.state, 'running', 'still running');
  await device.shutdown();
  t.equal(summary.agent?.state, 'closed', 'closed');
});
