/**
 * A Platform for unit tests on Node: virtual time (the XS lane's VirtualTime class, its own instance),
 * a seeded random source, the scripted broker as transport, and a log that records lines. Only the
 * pieces the MQTT agent uses are real; the others throw if touched.
 */
import type { Platform, LogLevel } from '../../../platform/pal/index.js';
import { VirtualTime } from '../../xs/virtual-time.js';
import { ScriptedBroker } from './scripted-broker.js';

export interface VirtualPlatform extends Platform {
  time: VirtualTime;
  broker: ScriptedBroker;
  lines: string[];
}

function unused(name: string): never {
  throw new Error(`${name} is not part of the MQTT unit-test platform`);
}

export function createVirtualPlatform(seed = 1): VirtualPlatform {
  const time = new VirtualTime();
  const broker = new ScriptedBroker();
  const lines: string[] = [];
  let state = seed >>> 0 || 1;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const platform = {
    time,
    broker,
    lines,
    transport: broker,
    timers: {
      set: (cb: () => void, ms: number) => time.set(cb, ms) as never,
      repeat: (cb: () => void, ms: number) => time.set(cb, ms, ms) as never,
      clear: (h: unknown) => time.clear(h as number | undefined),
    },
    clock: {
      now: () => time.epochOrigin + time.now,
      synchronized: true,
      set: () => {},
      monotonic: () => time.now,
    },
    random: {
      bytes(length: number) {
        const out = new Uint8Array(length);
        for (let i = 0; i < length; i++) {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          out[i] = state & 0xff;
        }
        return out;
      },
    },
    text: {
      encode: (s: string) => encoder.encode(s),
      decode: (b: Uint8Array, isFatal?: boolean) => (isFatal ? fatal : decoder).decode(b),
    },
    log: {
      level: 'debug' as LogLevel,
      log(level: LogLevel, component: string, message: string, fields?: Record<string, unknown>) {
        lines.push(`${level} ${component}: ${message}${fields ? ' ' + JSON.stringify(fields) : ''}`);
      },
    },
    get storage(): never { return unused('storage'); },
    get slots(): never { return unused('slots'); },
    get keyStoreBackend(): never { return unused('keyStoreBackend'); },
    get http(): never { return unused('http'); },
    get system(): never { return unused('system'); },
    get wifi(): never { return unused('wifi'); },
  };
  return platform as unknown as VirtualPlatform;
}

/** Lets pending promise jobs run (answers of the scripted broker, handler continuations). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Advances virtual time by `ms`, letting promise jobs run between timers. */
export async function advance(platform: VirtualPlatform, ms: number): Promise<void> {
  const target = platform.time.now + ms;
  await settle();
  for (let due = platform.time.nextDue; due !== undefined && due <= target; due = platform.time.nextDue) {
    platform.time.advance();
    await settle();
  }
  platform.time.advanceBy(target - platform.time.now);
  await settle();
}
