// The very ES module bundle mcconfig links for this example: the runner builds
// `npm run build:moddable -- simple-light` into build/moddable-lane-simple-light (tools/build-moddable.ts, its own
// copy of the SDK, shims and npm dependencies inside), and this file runs its default export — what
// Moddable calls at start-up — over the lane fakes against the lane cloud.
import { scenario } from '../../../test/xs/harness.js';
import { prepareLane } from '../../../test/moddable/example-lane.js';
import { SimpleLightingCluster } from '../generated/simple-lighting.js';
// @ts-ignore -- generated JavaScript without declarations
import main, { simpleLightApp } from '../../../build/moddable-lane-simple-light/main.js';

scenario('build:moddable -- simple-light: the bundle main() boots the example, connects and answers through the data model', async (t) => {
  const cloud = await prepareLane(t, 'lane-built-simple-light', { serialNumber: 'SL-LANE-0100', productName: 'Lane Simple Light', upc: '012345678929' });
  t.equal(typeof main, 'function', 'main.js default-exports the function Moddable runs');
  t.equal((simpleLightApp as { name: string }).name, 'simple-light', 'the bundle holds the simple-light app');
  const reports = await t.measure('main() of the built bundle until its capability report arrives', async () => {
    main();
    return cloud.waitFor('setup/capabilities');
  });
  const report = JSON.stringify(reports[0]);
  t.assert(report.includes(`"${SimpleLightingCluster.capabilityId}"`), `capability report names ${SimpleLightingCluster.capabilityId}`);
  t.assert(report.includes('"matter.BasicInformation@'), 'and the root node');
  const read = await cloud.command('read', [{ id: '1', capabilities: [{ id: SimpleLightingCluster.capabilityId, actions: [{ name: 'ReadState', parameters: { propertiesToRead: ['OnOff', 'Brightness'] } }] }] }]);
  t.equal(read.endpoints[0].capabilities[0].properties, [{ name: 'OnOff', value: false }, { name: 'Brightness', value: 127 }], 'ReadState answered by the built app');
  t.equal(read.managedThingId, 'lane-built-simple-light', 'as the provisioned thing');
  await cloud.disconnect();
});
