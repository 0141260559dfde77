/**
 * The Moddable (ESP32-S3) platform: every PAL interface over Moddable SDK modules. Created once at
 * boot, after the Moddable network setup (or `platform.wifi.connect`) has brought the network up.
 */
import config from 'mc/config';
import { p256 } from '@noble/curves/nist.js';
import type { LogLevel, Platform } from '../pal/index.js';
import { SoftwareKeyStoreBackend } from '../../modules/keystore/software-backend.js';
import { ModdableClock } from './clock.js';
import { DnsResolver } from './dns.js';
import { ModdableFirmwareSlots } from './firmware-slots.js';
import { ModdableHttpClient } from './http.js';
import { ModdableDigests } from './digests.js';
import { TraceLogger } from './logger.js';
import { PreferenceStorage } from './preference-storage.js';
import { moddableRandom } from './random.js';
import { ModdableSystem } from './system.js';
import { createModdableText } from './text.js';
import { moddableTimers } from './timers.js';
import { ModdableTransport } from './transport.js';
import { ModdableWifi } from './wifi.js';

/**
 * Window of noble's P-256 base-point table. noble's default (8: 4,224 precomputed points) keeps about
 * 17,000 heap slots (~270 KB) alive after the first key operation, more than an ESP32-S3's whole XS
 * heap; window 4 keeps about 2,100 slots and makes the first getPublicKey 7x cheaper, for 20% more
 * compute per signature (measured in XS: test/xs/scenarios/dep-noble-p256.xs.ts).
 */
export const P256_BASE_POINT_WINDOW = 4;

export interface ModdablePlatformOptions {
  /** DNS servers for name resolution (default: manifest config `dnsServers`, else 1.1.1.1 and 8.8.8.8). */
  dnsServers?: string[];
  logLevel?: LogLevel;
}

export interface ModdablePlatform extends Platform {
  clock: ModdableClock;
  slots: ModdableFirmwareSlots;
}

function configuredDnsServers(): string[] | undefined {
  const servers = config.dnsServers;
  if (Array.isArray(servers) && servers.every((server) => typeof server === 'string')) return servers as string[];
  if (typeof servers === 'string' && servers.length > 0) return servers.split(',');
  return undefined;
}

export function createModdablePlatform(options: ModdablePlatformOptions = {}): ModdablePlatform {
  p256.ProjectivePoint.BASE.precompute(P256_BASE_POINT_WINDOW);
  const timers = moddableTimers;
  const text = createModdableText();
  const random = moddableRandom;
  const log = new TraceLogger({ level: options.logLevel ?? 'info' });
  const storage = new PreferenceStorage({ namespace: 'mi.kv' });
  const keyStoreBackend = new SoftwareKeyStoreBackend({ storage: new PreferenceStorage({ namespace: 'mi.ks' }), random, text });
  const dns = new DnsResolver({ servers: options.dnsServers ?? configuredDnsServers() ?? ['1.1.1.1', '8.8.8.8'], timers });
  return {
    storage,
    slots: new ModdableFirmwareSlots(),
    keyStoreBackend,
    transport: new ModdableTransport({ keyStore: keyStoreBackend, timers, dns }),
    http: new ModdableHttpClient({ keyStore: keyStoreBackend, timers, dns }),
    timers,
    clock: new ModdableClock(),
    random,
    text,
    log,
    system: new ModdableSystem({ log }),
    wifi: new ModdableWifi({ timers }),
    digest: new ModdableDigests(),
  };
}
