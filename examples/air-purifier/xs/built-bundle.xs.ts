// The very ES module bundle mcconfig links for this example: the runner builds
// `npm run build:moddable -- air-purifier` into build/moddable-lane-air-purifier (tools/build-moddable.ts, its own
// copy of the SDK, shims and npm dependencies inside), and this file runs its default export — what
// Moddable calls at start-up — over the lane fakes against the lane cloud.
import { scenario } from '../../../test/xs/harness.js';
import { prepareLane } from '../../../test/moddable/example-lane.js';
import { OnOffCluster } from '../generated/on-off.js';
// @ts-ignore -- generated JavaScript without declarations
import main, { airPurifierApp } from '../../../build/moddable-lane-air-purifier/main.js';

scenario('build:moddable -- air-purifier: the bundle main() boots the example, connects and answers through the data model', async (t) => {
  const cloud = await prepareLane(t, 'lane-built-air-purifier', { serialNumber: 'AP-LANE-0100', productName: 'Lane Air Purifier', upc: '012345678905' });
  t.equal(typeof main, 'function', 'main.js default-exports the function Moddable runs');
  t.equal((airPurifierApp as { name: string }).name, 'air-purifier', 'the bundle holds the air-purifier app');
  const reports = await t.measure('main() of the built bundle until its capability report arrives', async () => {
    main();
    return cloud.waitFor('setup/capabilities');
  });
  const report = JSON.stringify(reports[0]);
  t.assert(report.includes(`"${OnOffCluster.capabilityId}"`), `capability report names ${OnOffCluster.capabilityId}`);
  t.assert(report.includes('"matter.BasicInformation@'), 'and the root node');
  const read = await cloud.command('read', [{ id: '1', capabilities: [{ id: OnOffCluster.capabilityId, actions: [{ name: 'ReadState', parameters: { propertiesToRead: ['OnOff'] } }] }] }]);
  t.equal(read.endpoints[0].capabilities[0].properties, [{ name: 'OnOff', value: false }], 'ReadState answered by the built app');
  t.equal(read.managedThingId, 'lane-built-air-purifier', 'as the provisioned thing');
  await cloud.disconnect();
});
