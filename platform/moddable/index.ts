/**
 * The Moddable (ESP32-S3) platform: every PAL interface over Moddable SDK modules. Created once at
 * boot, after the Moddable network setup (or `platform.wifi.connect`) has brought the network up.
 */
import config from 'mc/config';
import type { LogLevel, Platform } from '../pal/index.js';
import { SoftwareKeyStoreBackend } from '../../modules/keystore/software-backend.js';
import { ModdableClock } from './clock.js';
import { DnsResolver } from './dns.js';
import { ModdableFirmwareSlots } from './firmware-slots.js';
import { ModdableHttpClient } from './http.js';
import { TraceLogger } from './logger.js';
import { PreferenceStorage } from './preference-storage.js';
import { moddableRandom } from './random.js';
import { ModdableSystem } from './system.js';
import { createModdableText } from './text.js';
import { moddableTimers } from './timers.js';
import { ModdableTransport } from './transport.js';
import { ModdableWifi } from './wifi.js';

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
  };
}
