/**
 * The simple light's device entry for an ESP32-S3 (`npm run build:moddable -- simple-light`, then mcconfig with
 * examples/simple-light/manifest.json; docs/moddable.md): the shared Moddable boot (platform/moddable/main.ts)
 * runs the portable example (main.ts) with the root node (BasicInformation) on endpoint 0 and the
 * same self-test the Node simulator host runs after an OTA update (examples/host/examples.ts).
 */
import { runDeviceApp } from '../../platform/moddable/main.js';
import type { DeviceApp } from '../../platform/moddable/main.js';
import { simpleLightExample } from '../host/examples.js';
import { addRootNode } from '../host/root-node.js';

export const simpleLightApp: DeviceApp = {
  name: 'simple-light',
  setup(agent, device) {
    const rootNode = addRootNode(agent, { productName: device.productName, serialNumber: device.serialNumber, version: device.firmwareVersion });
    const running = simpleLightExample.setup(agent, {});
    return {
      selfTest: () => running.selfTest(),
      // BasicInformation.StartUp once per boot, so the cloud sees which firmware came up.
      onStarted: () => rootNode.announceStartUp(),
      stop: () => running.stop(),
    };
  },
};

export default function main(): void {
  runDeviceApp(simpleLightApp);
}
