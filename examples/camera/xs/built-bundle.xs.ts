// The very ES module bundle mcconfig links for this example: the runner builds
// `npm run build:moddable -- camera` into build/moddable-lane-camera (tools/build-moddable.ts, its own
// copy of the SDK, shims and npm dependencies inside), and this file runs its default export — what
// Moddable calls at start-up — over the lane fakes against the lane cloud.
import { scenario } from '../../../test/xs/harness.js';
import { prepareLane } from '../../../test/moddable/example-lane.js';
import { CameraAvStreamManagementCluster } from '../generated/camera-av-stream-management.js';
// @ts-ignore -- generated JavaScript without declarations
import main, { cameraApp } from '../../../build/moddable-lane-camera/main.js';

scenario('build:moddable -- camera: the bundle main() boots the example, connects and answers through the data model', async (t) => {
  const cloud = await prepareLane(t, 'lane-built-camera', { serialNumber: 'CAM-LANE-0100', productName: 'Lane Camera', upc: '012345678912' });
  t.equal(typeof main, 'function', 'main.js default-exports the function Moddable runs');
  t.equal((cameraApp as { name: string }).name, 'camera', 'the bundle holds the camera app');
  const reports = await t.measure('main() of the built bundle until its capability report arrives', async () => {
    main();
    return cloud.waitFor('setup/capabilities');
  });
  const report = JSON.stringify(reports[0]);
  t.assert(report.includes(`"${CameraAvStreamManagementCluster.capabilityId}"`), `capability report names ${CameraAvStreamManagementCluster.capabilityId}`);
  t.assert(report.includes('"matter.BasicInformation@'), 'and the root node');
  const read = await cloud.command('read', [{ id: '1', capabilities: [{ id: CameraAvStreamManagementCluster.capabilityId, actions: [{ name: 'ReadState', parameters: { propertiesToRead: ['MaxConcurrentEncoders'] } }] }] }]);
  t.equal(read.endpoints[0].capabilities[0].properties, [{ name: 'MaxConcurrentEncoders', value: 2 }], 'ReadState answered by the built app');
  t.equal(read.managedThingId, 'lane-built-camera', 'as the provisioned thing');
  await cloud.disconnect();
});
