/**
 * Camera example, after the guide's iotmi_device_sample_camera demo: endpoint 1 "Camera" with
 * CameraAvStreamManagement (stream allocation) and WebRTCTransportProvider (sessions), from
 * ../shared/matter/samples/camera-app.matter. Stream changes are reported as they happen; a
 * simulated doorbell-style motion trigger opens and ends sessions on its own.
 * Portable: runs on an ESP32-S3 (moddable.ts) and on the Node simulator host (simulator.ts).
 */
import type { Agent, EndpointHandle } from '../../modules/index.js';
import { ActionError } from '../../modules/index.js';
import * as Av from './generated/camera-av-stream-management.js';
import * as WebRtc from './generated/web-rtc-transport-provider.js';
import { StreamUsageEnum } from './generated/global-types.js';
import { CameraStreams, StreamBudgetError } from './streams.js';

export interface CameraOptions {
  /** How often the simulated camera changes, in ms (default 5,000). */
  stepMs?: number;
}

export interface Camera {
  streams: CameraStreams;
  endpoint: EndpointHandle;
  stop(): void;
}

export function setupCamera(agent: Agent, options: CameraOptions = {}): Camera {
  const { platform } = agent;
  const endpoint = agent.addEndpoint('1', 'Camera', ['Camera']);
  const streams = new CameraStreams();

  const reportStreams = () => {
    Av.reportAllocatedVideoStreams(endpoint, [...streams.video.values()], { immediate: true });
    Av.reportAllocatedAudioStreams(endpoint, [...streams.audio.values()]);
    WebRtc.reportCurrentSessions(endpoint, [...streams.sessions.values()]);
  };
  const budget = <T>(allocate: () => T): T => {
    try {
      return allocate();
    } catch (error) {
      if (error instanceof StreamBudgetError) throw new ActionError(409, 'RESOURCE_EXHAUSTED', error.message);
      throw error;
    }
  };

  Av.registerCameraAvStreamManagement(endpoint, {
    getMaxConcurrentEncoders: (s) => s.maxVideo,
    getMaxEncodedPixelRate: () => 1920 * 1080 * 30,
    getVideoSensorParams: () => ({ sensorWidth: 1920, sensorHeight: 1080, maxFPS: 30 }),
    getMinViewport: () => ({ width: 640, height: 360 }),
    getMaxNetworkBandwidth: () => 8_000,
    getSupportedStreamUsages: () => [StreamUsageEnum.LiveView, StreamUsageEnum.Recording],
    getAllocatedVideoStreams: (s) => [...s.video.values()],
    getAllocatedAudioStreams: (s) => [...s.audio.values()],
    getAllocatedSnapshotStreams: () => [],
    getStreamUsagePriorities: () => [StreamUsageEnum.LiveView, StreamUsageEnum.Recording],
    videoStreamAllocate: (request, s) => {
      if (request.minFrameRate > request.maxFrameRate) {
        throw new ActionError(400, 'CONSTRAINT_ERROR', `minFrameRate ${request.minFrameRate} > maxFrameRate ${request.maxFrameRate}`);
      }
      const videoStreamID = budget(() => s.allocateVideo(request));
      reportStreams();
      return { videoStreamID };
    },
    videoStreamDeallocate: (request, s) => {
      if (!s.video.delete(request.videoStreamID)) throw new ActionError(404, 'NOT_FOUND', `no video stream ${request.videoStreamID}`);
      reportStreams();
    },
    audioStreamAllocate: (request, s) => {
      const audioStreamID = budget(() => s.allocateAudio(request));
      reportStreams();
      return { audioStreamID };
    },
    audioStreamDeallocate: (request, s) => {
      if (!s.audio.delete(request.audioStreamID)) throw new ActionError(404, 'NOT_FOUND', `no audio stream ${request.audioStreamID}`);
      reportStreams();
    },
  }, streams);

  WebRtc.registerWebRTCTransportProvider(endpoint, {
    getCurrentSessions: (s) => [...s.sessions.values()],
    solicitOffer: (request, s) => {
      const videoStreamID = request.videoStreamID ?? [...s.video.keys()][0] ?? null;
      const audioStreamID = request.audioStreamID ?? [...s.audio.keys()][0] ?? null;
      if (videoStreamID !== null && !s.video.has(videoStreamID)) throw new ActionError(404, 'NOT_FOUND', `no video stream ${videoStreamID}`);
      const webRTCSessionID = s.openSession({
        peerNodeID: 1, peerEndpointID: request.originatingEndpointID, streamUsage: request.streamUsage,
        videoStreamID, audioStreamID, fabricIndex: 1,
      });
      reportStreams();
      return { webRTCSessionID, deferredOffer: false, videoStreamID, audioStreamID };
    },
    endSession: (request, s) => {
      if (!s.closeSession(request.webRTCSessionID)) throw new ActionError(404, 'NOT_FOUND', `no session ${request.webRTCSessionID}`);
      reportStreams();
    },
  }, streams);

  // Motion now and then: the camera opens a recording session on its first stream, later ends it.
  let steps = 0;
  let motionSession: number | undefined;
  const stepMs = options.stepMs ?? 5_000;
  const timer = platform.timers.repeat(() => {
    steps++;
    streams.tick(stepMs / 1000);
    if (motionSession === undefined && steps % 12 === 0 && streams.video.size > 0) {
      const videoStreamID = [...streams.video.keys()][0]!;
      motionSession = streams.openSession({
        peerNodeID: 0, peerEndpointID: 1, streamUsage: StreamUsageEnum.Recording, videoStreamID, audioStreamID: null, fabricIndex: 1,
      });
      reportStreams();
    } else if (motionSession !== undefined && steps % 12 === 6) {
      streams.closeSession(motionSession);
      motionSession = undefined;
      reportStreams();
    }
  }, stepMs);

  return { streams, endpoint, stop: () => platform.timers.clear(timer) };
}
