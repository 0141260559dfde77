/**
 * The platform abstraction layer: the only way code under modules/ reaches I/O.
 * platform/node and platform/moddable each provide every interface here.
 */
export type { KeyValueStorage } from './storage.js';
export type { FirmwareSlots, BootState, SlotName } from './firmware-slots.js';
export type { KeyStoreBackend, StoredObject, ObjectClass, KeyType, SignMechanism } from './keystore-backend.js';
export type { Transport, Connection, ConnectOptions, TlsCredentials, TransportErrorCode } from './transport.js';
export { TransportError } from './transport.js';
export type { HttpClient, HttpGetOptions, HttpResponse } from './http.js';
export { checkReadSize } from './http.js';
export type { Timers, TimerHandle } from './timers.js';
export type { Clock } from './clock.js';
export type { Random } from './random.js';
export type { TextCodec } from './text.js';
export type { Logger, LogLevel } from './log.js';
export type { SystemControl } from './system.js';
export type { Wifi, WifiStatus, AccessPoint } from './wifi.js';
export type { Digests, IncrementalHash, SignatureVerifier } from './digest.js';

import type { KeyValueStorage } from './storage.js';
import type { FirmwareSlots } from './firmware-slots.js';
import type { KeyStoreBackend } from './keystore-backend.js';
import type { Transport } from './transport.js';
import type { HttpClient } from './http.js';
import type { Timers } from './timers.js';
import type { Clock } from './clock.js';
import type { Random } from './random.js';
import type { TextCodec } from './text.js';
import type { Logger } from './log.js';
import type { SystemControl } from './system.js';
import type { Wifi } from './wifi.js';
import type { Digests } from './digest.js';

/** Everything a device needs from its platform, created once at boot. */
export interface Platform {
  storage: KeyValueStorage;
  slots: FirmwareSlots;
  keyStoreBackend: KeyStoreBackend;
  transport: Transport;
  http: HttpClient;
  timers: Timers;
  clock: Clock;
  random: Random;
  text: TextCodec;
  log: Logger;
  system: SystemControl;
  wifi: Wifi;
  /** Native SHA-256, when the platform has it; the core falls back to @noble/hashes. */
  digest?: Digests;
}
