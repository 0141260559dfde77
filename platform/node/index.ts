/**
 * The Node.js platform: every PAL interface, for real, so a device runs on a host as on an ESP32.
 *
 * Files under `dataDir`:
 *   storage/<key>            key-value records (atomic replace, mode 0600)
 *   keystore/<class>-<hex label>.json   key store objects (atomic replace, mode 0600)
 *   firmware/slot-A.bin, slot-B.bin, boot-state.json   A/B slots and the boot state
 *
 * Reboot exits the process with RESTART_EXIT_CODE (75); a supervisor restarts it and the boot loader
 * (`platform.slots.boot()`) applies the A/B boot rules at start-up.
 */
import { join } from 'node:path';
import type { Platform } from '../pal/index.js';
import { NodeClock, type NodeClockOptions } from './clock.js';
import { NodeDigests } from './node-digests.js';
import { NodeFirmwareSlots, type NodeFirmwareSlotsOptions } from './firmware-slots.js';
import { NodeHttpClient } from './http.js';
import { NodeKeyStoreBackend } from './keystore-backend.js';
import { NodeLogger, type NodeLoggerOptions } from './logger.js';
import { NodeRandom } from './random.js';
import { NodeFileStorage, type NodeFileStorageOptions } from './storage.js';
import { NodeSystem, type NodeSystemOptions } from './system.js';
import { NodeTextCodec } from './text.js';
import { NodeTimers } from './timers.js';
import { NodeTransport, type NodeTransportOptions } from './transport.js';
import { SimulatedWifi, type SimulatedWifiOptions } from './wifi-sim.js';

export { NodeClock, type NodeClockOptions } from './clock.js';
export { NodeFirmwareSlots, FlashWriteError, BootStateError, type NodeFirmwareSlotsOptions } from './firmware-slots.js';
export { NodeHttpClient } from './http.js';
export { NodeKeyStoreBackend } from './keystore-backend.js';
export { NodeLogger, type NodeLoggerOptions } from './logger.js';
export { NodeRandom } from './random.js';
export { NodeFileStorage, MAX_KEY_BYTES, MAX_VALUE_BYTES, type NodeFileStorageOptions, type StorageDurability } from './storage.js';
export { NodeSystem, RESTART_EXIT_CODE, type NodeSystemOptions } from './system.js';
export { NodeTextCodec } from './text.js';
export { NodeTimers } from './timers.js';
export { NodeTransport, mapNodeError, type NodeTransportOptions } from './transport.js';
export { SimulatedWifi, WifiConnectError, type SimulatedNetwork, type SimulatedWifiOptions } from './wifi-sim.js';
export { redactSecrets } from './redact.js';
export { writeFileAtomic } from './atomic-file.js';
export { NodeDigests } from './node-digests.js';
export { superviseDevice, type SuperviseOptions, type SupervisedDevice } from './supervisor.js';
export { bootNodeFirmware, buildNodeImage, readSlotImage, ImageFormatError, type BootResult, type NodeImage } from './boot-loader.js';

export interface NodePlatformOptions {
  /** Directory for storage, key store and firmware slot files; created if missing. */
  dataDir: string;
  /** Logger options (a ready Logger goes in `overrides.log`). */
  log?: NodeLoggerOptions;
  clock?: NodeClockOptions;
  wifi?: SimulatedWifiOptions;
  transport?: NodeTransportOptions;
  slots?: NodeFirmwareSlotsOptions;
  /** Storage durability (default `power`: every write fsynced; see NodeFileStorageOptions). */
  storage?: NodeFileStorageOptions;
  system?: NodeSystemOptions;
  /** Replaces any piece, e.g. a test double or the software key store backend. */
  overrides?: Partial<Platform>;
}

/**
 * The Node platform with its concrete types visible, so hosts and tests reach the simulation APIs
 * (`platform.wifi.dropConnection()`, `platform.slots.boot()`). The concrete types hold for the pieces
 * not replaced through `overrides`.
 */
export interface NodePlatform extends Platform {
  readonly dataDir: string;
  slots: NodeFirmwareSlots;
  wifi: SimulatedWifi;
  log: NodeLogger;
  clock: NodeClock;
}

export function createNodePlatform(options: NodePlatformOptions): NodePlatform {
  const { dataDir, overrides = {} } = options;
  const timers = overrides.timers ?? new NodeTimers();
  const keyStoreBackend = overrides.keyStoreBackend ?? new NodeKeyStoreBackend(join(dataDir, 'keystore'));
  const platform: Platform = {
    storage: overrides.storage ?? new NodeFileStorage(join(dataDir, 'storage'), options.storage),
    slots: overrides.slots ?? new NodeFirmwareSlots(join(dataDir, 'firmware'), options.slots),
    keyStoreBackend,
    transport: overrides.transport ?? new NodeTransport(keyStoreBackend, options.transport),
    http: overrides.http ?? new NodeHttpClient(keyStoreBackend),
    timers,
    clock: overrides.clock ?? new NodeClock(options.clock),
    random: overrides.random ?? new NodeRandom(),
    text: overrides.text ?? new NodeTextCodec(),
    log: overrides.log ?? new NodeLogger(options.log),
    system: overrides.system ?? new NodeSystem(options.system),
    wifi: overrides.wifi ?? new SimulatedWifi(timers, options.wifi),
    digest: overrides.digest ?? new NodeDigests(),
  };
  return Object.assign(platform, { dataDir }) as NodePlatform;
}
