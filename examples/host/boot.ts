/**
 * The Node device's boot loader (architecture.md, "The simulator host boots like a device"): applies
 * the A/B boot rules, then runs the image in the running slot, or the factory program when the slot
 * is erased. Run by `mi-device run`: `node --import tsx examples/host/boot.ts CONFIG.json`; exit code
 * 75 (a reboot) makes the supervisor start it again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bootNodeFirmware } from '../../platform/node/index.js';
import type { HostConfig } from './config.js';
import type { ProgramContext } from './program.js';

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as HostConfig;
const boot = await bootNodeFirmware(join(config.dataDir, 'firmware'));
const program = (boot.modulePath ? await import(pathToFileURL(boot.modulePath).href) : await import('./program.js')) as {
  main(context: ProgramContext): Promise<void>;
};
await program.main({ config, boot: boot.state, imageVersion: boot.image?.version });
