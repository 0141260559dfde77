/**
 * The examples a host can run, by name: how to set each one up on an agent and how it tests itself
 * after an OTA update. Each example's own code lives in examples/<name>/main.ts.
 */
import type { Agent } from '../../modules/index.js';
import { setupAirPurifier } from '../air-purifier/main.js';
import { setupCamera } from '../camera/main.js';
import { setupSimpleLight } from '../simple-light/main.js';

export interface RunningExample {
  /** The self-test an updated image runs before it marks itself valid: throws on failure. */
  selfTest(): Promise<void> | void;
  stop(): void;
}

export interface ExampleDefinition {
  description: string;
  setup(agent: Agent, options: { stepMs?: number }): RunningExample;
}

export const airPurifierExample: ExampleDefinition = {
  description: 'air purifier (OnOff, FanControl, filters) + air-quality sensor, from air-purifier-app.matter',
  setup(agent, options) {
    const device = setupAirPurifier(agent, options);
    return {
      stop: device.stop,
      // The fan must spin up and the sensor must give plausible readings.
      selfTest() {
        const hw = device.hardware;
        const wasOn = hw.on;
        hw.setPower(true);
        const spins = hw.percentCurrent > 0;
        hw.setPower(wasOn);
        if (!spins) throw new Error('self-test: fan did not spin up');
        if (!(hw.readings.co2 >= 400 && hw.readings.pm25 >= 0)) throw new Error('self-test: implausible sensor readings');
      },
    };
  },
};

export const cameraExample: ExampleDefinition = {
  description: 'camera (CameraAvStreamManagement, WebRTCTransportProvider), from camera-app.matter',
  setup(agent, options) {
    const device = setupCamera(agent, options);
    return {
      stop: device.stop,
      // The encoder must hand out and take back a stream.
      selfTest() {
        const id = device.streams.allocateVideo({
          streamUsage: 3, videoCodec: 0, minFrameRate: 15, maxFrameRate: 30,
          minResolution: { width: 640, height: 360 }, maxResolution: { width: 1920, height: 1080 },
          minBitRate: 10_000, maxBitRate: 2_000_000, minKeyFrameInterval: 1000, maxKeyFrameInterval: 4000,
        });
        if (!device.streams.video.delete(id)) throw new Error('self-test: encoder lost a stream');
      },
    };
  },
};

export const simpleLightExample: ExampleDefinition = {
  description: 'simple light, the custom capability custom.SimpleLighting@1.0',
  setup(agent, options) {
    const device = setupSimpleLight(agent, options);
    return {
      stop: device.stop,
      selfTest() {
        if (!(device.lamp.temperature > -40 && device.lamp.temperature < 125)) throw new Error('self-test: lamp temperature sensor out of range');
      },
    };
  },
};

export const EXAMPLES: Record<string, ExampleDefinition> = {
  'air-purifier': airPurifierExample,
  camera: cameraExample,
  'simple-light': simpleLightExample,
};
