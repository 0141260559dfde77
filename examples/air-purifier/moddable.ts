/**
 * The air purifier's device entry for an ESP32-S3 (`npm run build:moddable -- air-purifier`, then mcconfig with
 * examples/air-purifier/manifest.json; docs/moddable.md): the shared Moddable boot (platform/moddable/main.ts)
 * runs the portable example (main.ts) with the root node (BasicInformation) on endpoint 0 and the
 * same self-test the Node simulator host runs after an OTA update (examples/host/examples.ts).
 */
import { runDeviceApp } from '../../platform/moddable/main.js';
import type { DeviceApp } from '../../platform/moddable/main.js';
import { airPurifierExample } from '../host/examples.js';
import { addRootNode } from '../host/root-node.js';

export const airPurifierApp: DeviceApp = {
  name: 'air-purifier',
  setup(agent, device) {
    const rootNode = addRootNode(agent, { productName: device.productName, serialNumber: device.serialNumber, version: device.firmwareVersion });
    const running = airPurifierExample.setup(agent, {});
    return {
      selfTest: () => running.selfTest(),
      // BasicInformation.StartUp once per boot, so the cloud sees which firmware came up.
      onStarted: () => rootNode.announceStartUp(),
      stop: () => running.stop(),
    };
  },
};

export default function main(): void {
  runDeviceApp(airPurifierApp);
}
