/**
 * PAL pieces for scenarios that test portable code (modules/*) in XS without the Moddable platform:
 * virtual-time timers and clock, a deterministic random source, the XS TextEncoder/TextDecoder
 * globals, an in-memory KeyValueStorage, and a logger that lands in the scenario's log.
 */
import type { Clock, KeyValueStorage, Logger, LogLevel, Random, TextCodec, TimerHandle, Timers } from '../../platform/pal/index.js';
import { laneRandom } from './lane-random.js';
import { virtualTime } from './virtual-time.js';

export interface LanePlatform {
  timers: Timers;
  clock: Clock;
  random: Random;
  text: TextCodec;
  storage: MemoryStorage;
  log: Logger & { lines: string[] };
}

const KEY_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/;
const MAX_VALUE_BYTES = 4000;

/** KeyValueStorage in a Map, with the ESP32 limits of the PAL contract enforced. */
export class MemoryStorage implements KeyValueStorage {
  readonly #values = new Map<string, Uint8Array>();

  static #check(key: string): void {
    if (!KEY_PATTERN.test(key)) throw new RangeError(`storage key must be 1-15 characters of [A-Za-z0-9_.-], got ${JSON.stringify(key)}`);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    MemoryStorage.#check(key);
    const value = this.#values.get(key);
    return value?.slice();
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    MemoryStorage.#check(key);
    if (value.byteLength > MAX_VALUE_BYTES) throw new RangeError(`storage value for ${key} is ${value.byteLength} bytes; at most ${MAX_VALUE_BYTES}`);
    this.#values.set(key, value.slice());
  }

  async delete(key: string): Promise<void> {
    MemoryStorage.#check(key);
    this.#values.delete(key);
  }

  async keys(): Promise<string[]> {
    return [...this.#values.keys()].sort();
  }
}

interface XsTextGlobals {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (label?: string, options?: { fatal?: boolean }) => { decode(bytes: Uint8Array): string };
}

export function createLanePlatform(): LanePlatform {
  const globals = globalThis as unknown as XsTextGlobals;
  if (typeof globals.TextEncoder !== 'function' || typeof globals.TextDecoder !== 'function') {
    throw new Error('this XS build has no TextEncoder/TextDecoder globals; the lane platform needs them');
  }
  const encoder = new globals.TextEncoder();
  const lenient = new globals.TextDecoder('utf-8');
  const fatal = new globals.TextDecoder('utf-8', { fatal: true });
  let wallOffset: number | undefined;
  const lines: string[] = [];
  const log: Logger & { lines: string[] } = {
    level: 'debug',
    lines,
    log(level: LogLevel, component: string, message: string, fields?: Record<string, unknown>) {
      lines.push(`${level} ${component}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
    },
  };
  return {
    timers: {
      set: (callback, delayMs) => virtualTime.set(callback, delayMs) as unknown as TimerHandle,
      repeat: (callback, intervalMs) => virtualTime.set(callback, intervalMs, intervalMs) as unknown as TimerHandle,
      clear: (handle) => virtualTime.clear(handle as unknown as number | undefined),
    },
    clock: {
      now: () => (wallOffset ?? virtualTime.epochOrigin) + virtualTime.now,
      get synchronized() {
        return wallOffset !== undefined;
      },
      set(epochMs: number) {
        wallOffset = epochMs - virtualTime.now;
      },
      monotonic: () => virtualTime.now,
    },
    random: { bytes: (length) => laneRandom.bytes(length) },
    text: {
      encode: (text) => encoder.encode(text),
      decode: (bytes, isFatal) => (isFatal ? fatal : lenient).decode(bytes),
    },
    storage: new MemoryStorage(),
    log,
  };
}
