// The camera's device entry (examples/camera/moddable.ts) in XS on the Moddable platform fakes: the
// shared boot creates the agent with the OTA component and the example's endpoints (root node 0,
// camera 1), resumes a provisioned identity and connects over the fake TLS socket to a mini broker
// on the lane network; a cloud-side MQTT client allocates a stream, opens a WebRTC session and reads
// back through the data model, then the simulated motion trigger runs on the virtual clock.
import { scenario } from '../../../test/xs/harness.js';
import { bootExampleOnLane, finishExampleScenario, recordStartupFigures, stateReportsOverThreeMinutes } from '../../../test/moddable/example-lane.js';
import { cameraApp } from '../moddable.js';
import { CameraAvStreamManagementCluster } from '../generated/camera-av-stream-management.js';
import { WebRTCTransportProviderCluster } from '../generated/web-rtc-transport-provider.js';
// The root node (examples/host/root-node.ts) registers the air purifier's generated BasicInformation.
import { BasicInformationCluster } from '../../air-purifier/generated/basic-information.js';

const av = CameraAvStreamManagementCluster.capabilityId;
const webrtc = WebRTCTransportProviderCluster.capabilityId;

const videoRequest = {
  StreamUsage: 3, VideoCodec: 0, MinFrameRate: 15, MaxFrameRate: 30,
  MinResolution: { Width: 640, Height: 360 }, MaxResolution: { Width: 1920, Height: 1080 },
  MinBitRate: 10_000, MaxBitRate: 2_000_000, MinKeyFrameInterval: 1000, MaxKeyFrameInterval: 4000,
};

scenario('camera on the Moddable platform: boot, stream and session commands through the data model, 3 simulated minutes of motion', async (t) => {
  const device = await bootExampleOnLane(t, cameraApp, { serialNumber: 'CAM-LANE-0001', productName: 'Lane Camera', upc: '012345678912' });
  recordStartupFigures(t, 'camera');
  const { summary } = device;
  t.equal(summary.agent?.state, 'running', 'agent running after boot');
  t.assert(summary.ota?.jobs !== undefined, 'the OTA component started its jobs handler');
  const reported = JSON.stringify(device.northJson('setup/capabilities'));
  for (const id of [av, webrtc, BasicInformationCluster.capabilityId]) t.assert(reported.includes(`"${id}"`), `capability report names ${id}`);

  const read = await device.command('read', [{ id: '1', capabilities: [{ id: av, actions: [{ name: 'ReadState', parameters: { propertiesToRead: ['MaxConcurrentEncoders', 'AllocatedVideoStreams'] } }] }] }]);
  t.equal(read.endpoints[0].capabilities[0].properties, [{ name: 'MaxConcurrentEncoders', value: 2 }, { name: 'AllocatedVideoStreams', value: [] }], 'ReadState before any stream');

  const allocate = await device.command('allocate', [{ id: '1', capabilities: [{ id: av, actions: [{ name: 'VideoStreamAllocate', parameters: videoRequest }] }] }]);
  t.equal(allocate.endpoints[0].capabilities[0].actions, [{ name: 'VideoStreamAllocate', responseCode: 200, parameters: { VideoStreamID: 1 } }], 'VideoStreamAllocate answers the stream id');
  const offer = await device.command('offer', [{ id: '1', capabilities: [{ id: webrtc, actions: [{ name: 'SolicitOffer', parameters: { StreamUsage: 3, OriginatingEndpointID: 1 } }] }] }]);
  const solicited = offer.endpoints[0].capabilities[0].actions[0];
  t.equal([solicited.responseCode, solicited.parameters?.WebRTCSessionID, solicited.parameters?.VideoStreamID], [200, 1, 1], 'SolicitOffer opens session 1 on the allocated stream');
  const streams = await device.command('streams', [{ id: '1', capabilities: [{ id: av, actions: [{ name: 'ReadState', parameters: { propertiesToRead: ['AllocatedVideoStreams'] } }] }] }]);
  t.equal(streams.endpoints[0].capabilities[0].properties[0].value.length, 1, 'ReadState shows the allocated stream');

  const inverted = await device.command('inverted', [{ id: '1', capabilities: [{ id: av, actions: [{ name: 'VideoStreamAllocate', parameters: { ...videoRequest, MinFrameRate: 60 } }] }] }]);
  t.equal(inverted.endpoints[0].capabilities[0].actions.map((a: any) => [a.responseCode, a.errors?.[0]?.code]), [[400, 'CONSTRAINT_ERROR']], 'the app refuses min > max frame rate');
  const bad = await device.command('bad', [{ id: '1', capabilities: [{ id: av, actions: [{ name: 'UpdateState', parameters: { HDRModeEnabled: 'yes' } }] }] }]);
  t.equal(bad.endpoints[0].capabilities[0].actions.map((a: any) => [a.responseCode, a.errors?.[0]?.code]), [[400, 'INVALID_VALUE']], 'HDRModeEnabled "yes" → 400');
  const location = await device.command('location', [{ id: '0', capabilities: [{ id: BasicInformationCluster.capabilityId, actions: [{ name: 'UpdateState', parameters: { Location: 'USA' } }] }] }]);
  t.equal(location.endpoints[0].capabilities[0].actions[0].responseCode, 400, 'root node Location of 3 letters → 400');

  await summary.app!.selfTest!();
  t.log('self-test passed');

  const states = await stateReportsOverThreeMinutes(t, device);
  t.assert(JSON.stringify(states).includes('CurrentSessions'), 'sessions reported while the motion trigger runs');
  await finishExampleScenario(t, 'camera', device, states);
});
