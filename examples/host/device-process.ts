/**
 * Starts a simulated device: writes its host config beside its data and runs the boot loader
 * (examples/host/boot.ts) under the Node platform's supervisor, which starts it again on every reboot.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StdioOptions } from 'node:child_process';
import { superviseDevice, type SuperviseOptions, type SupervisedDevice } from '../../platform/node/index.js';
import type { HostConfig } from './config.js';

export function startSimulatedDevice(config: HostConfig, options: { stdio?: StdioOptions; onStart?: SuperviseOptions['onStart'] } = {}): SupervisedDevice {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const configPath = join(config.dataDir, 'host-config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return superviseDevice({
    command: process.execPath,
    args: ['--import', 'tsx', fileURLToPath(new URL('./boot.ts', import.meta.url)), configPath],
    ...(options.stdio ? { stdio: options.stdio } : {}),
    ...(options.onStart ? { onStart: options.onStart } : {}),
  });
}
