// The simple light's device entry (examples/simple-light/moddable.ts) in XS on the Moddable platform
// fakes: the shared boot creates the agent with the OTA component and the example's endpoints (root
// node 0, the custom capability custom.SimpleLighting@1.0 on 1), resumes a provisioned identity and
// connects over the fake TLS socket to a mini broker on the lane network; a cloud-side MQTT client
// switches and dims the lamp through the data model, then the lamp warms up on the virtual clock.
import { scenario } from '../../../test/xs/harness.js';
import { bootExampleOnLane, finishExampleScenario, recordStartupFigures, stateReportsOverThreeMinutes } from '../../../test/moddable/example-lane.js';
import { simpleLightApp } from '../moddable.js';
import { SimpleLightingCluster } from '../generated/simple-lighting.js';

const lighting = SimpleLightingCluster.capabilityId;

scenario('simple-light on the Moddable platform: boot, custom capability commands through the data model, 3 simulated minutes of warming', async (t) => {
  const device = await bootExampleOnLane(t, simpleLightApp, { serialNumber: 'SL-LANE-0001', productName: 'Lane Simple Light', upc: '012345678929' });
  recordStartupFigures(t, 'simple-light');
  const { summary } = device;
  t.equal(summary.agent?.state, 'running', 'agent running after boot');
  t.assert(summary.ota?.jobs !== undefined, 'the OTA component started its jobs handler');
  t.assert(JSON.stringify(device.northJson('setup/capabilities')).includes(`"${lighting}"`), `capability report names ${lighting}`);

  const on = await device.command('on', [{ id: '1', capabilities: [{ id: lighting, actions: [{ name: 'UpdateState', parameters: { OnOff: true } }] }] }]);
  t.equal(on.endpoints[0].capabilities[0].actions, [{ name: 'UpdateState', responseCode: 200 }], 'UpdateState OnOff true');
  const dim = await device.command('dim', [{ id: '1', capabilities: [{ id: lighting, actions: [{ name: 'SetBrightness', parameters: { Level: 254, TransitionMs: 0 } }] }] }]);
  t.equal(dim.endpoints[0].capabilities[0].actions, [{ name: 'SetBrightness', responseCode: 200, parameters: { Applied: 254 } }], 'SetBrightness answers the applied level');
  const read = await device.command('read', [{ id: '1', capabilities: [{ id: lighting, actions: [{ name: 'ReadState', parameters: { propertiesToRead: ['OnOff', 'Brightness', 'Temperature'] } }] }] }]);
  t.equal(read.endpoints[0].capabilities[0].properties, [{ name: 'OnOff', value: true }, { name: 'Brightness', value: 254 }, { name: 'Temperature', value: 24 }], 'ReadState after the commands');
  const bad = await device.command('bad', [{ id: '1', capabilities: [{ id: lighting, actions: [{ name: 'UpdateState', parameters: { Brightness: 300 } }] }] }]);
  t.equal(bad.endpoints[0].capabilities[0].actions.map((a: any) => [a.responseCode, a.errors?.[0]?.code]), [[400, 'INVALID_VALUE']], 'Brightness 300 → 400');
  const readOnly = await device.command('read-only', [{ id: '1', capabilities: [{ id: lighting, actions: [{ name: 'UpdateState', parameters: { Temperature: 20 } }] }] }]);
  t.equal(readOnly.endpoints[0].capabilities[0].actions[0].responseCode, 405, 'Temperature is read-only → 405');

  await summary.app!.selfTest!();
  t.log('self-test passed');

  const states = await stateReportsOverThreeMinutes(t, device);
  t.assert(JSON.stringify(states).includes('Temperature'), 'temperature reported while the lamp warms');
  const events = JSON.stringify(device.northJson('events'));
  t.assert(events.includes('Overheated'), 'the lamp at full brightness overheats within 3 minutes and says so');
  await finishExampleScenario(t, 'simple-light', device, states);
});
