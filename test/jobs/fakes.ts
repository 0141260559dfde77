/**
 * Test doubles for unit tests of the jobs handler and the OTA agent: an in-memory MqttClient that
 * records publishes and lets the test play the Jobs service, and small Node-backed PAL pieces.
 * End-to-end tests use the real MQTT agent against the simulator instead.
 */
import { randomBytes } from 'node:crypto';
import type { Logger, LogLevel, TextCodec, TimerHandle, Timers, Random, Clock } from '../../platform/pal/index.js';
import type {
  ConnectionListener,
  InboundMessage,
  MessageHandler,
  MqttClient,
  MqttCounters,
  PublishOptions,
} from '../../modules/mqtt/types.js';

export interface Published {
  topic: string;
  payload: Uint8Array;
  json: Record<string, unknown>;
}

function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export class FakeMqttClient implements MqttClient {
  connected = true;
  readonly counters: MqttCounters = { sent: 0, received: 0, retransmitted: 0, dropped: 0, reconnects: 0 };
  readonly published: Published[] = [];
  readonly subscriptions = new Map<string, Set<MessageHandler>>();
  readonly listeners = new Set<ConnectionListener>();
  /** Called on every publish, after recording it: lets a test answer like the service would. */
  onPublish: ((message: Published) => void) | undefined;
  #publishWaiters: Array<{ predicate: (m: Published) => boolean; resolve: (m: Published) => void }> = [];

  async connect(): Promise<{ sessionPresent: boolean }> {
    this.connected = true;
    for (const l of this.listeners) l.onConnected?.(false);
    return { sessionPresent: false };
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  async publish(topic: string, payload: Uint8Array | string, _options?: PublishOptions): Promise<void> {
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    const message: Published = { topic, payload: bytes, json: JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown> };
    this.published.push(message);
    this.counters.sent++;
    for (const w of [...this.#publishWaiters]) {
      if (w.predicate(message)) {
        this.#publishWaiters.splice(this.#publishWaiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
    // The service answers asynchronously, as a broker would.
    queueMicrotask(() => this.onPublish?.(message));
  }

  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    let set = this.subscriptions.get(filter);
    if (!set) this.subscriptions.set(filter, (set = new Set()));
    set.add(handler);
  }

  async unsubscribe(filter: string, handler?: MessageHandler): Promise<void> {
    const set = this.subscriptions.get(filter);
    if (!set) return;
    if (handler) set.delete(handler);
    else set.clear();
    if (set.size === 0) this.subscriptions.delete(filter);
  }

  addConnectionListener(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers a message to every matching subscription, as the broker would; returns how many handlers ran. */
  async deliver(topic: string, body: unknown): Promise<number> {
    const payload = new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
    const message: InboundMessage = { topic, payload, qos: 1, retain: false, dup: false };
    let n = 0;
    for (const [filter, handlers] of this.subscriptions) {
      if (!matches(filter, topic)) continue;
      for (const h of handlers) {
        n++;
        await h(message);
      }
    }
    this.counters.received++;
    return n;
  }

  /** Resolves with the next publish (or an already recorded one) matching `predicate`. */
  nextPublish(predicate: (m: Published) => boolean, includeRecorded = false): Promise<Published> {
    if (includeRecorded) {
      const found = this.published.find(predicate);
      if (found) return Promise.resolve(found);
    }
    return new Promise((resolve) => this.#publishWaiters.push({ predicate, resolve }));
  }

  publishedTo(topic: string): Published[] {
    return this.published.filter((m) => m.topic === topic);
  }
}

export const nodeTimers: Timers = {
  set: (cb, ms) => setTimeout(cb, Math.max(0, ms)) as unknown as TimerHandle,
  repeat: (cb, ms) => setInterval(cb, Math.max(1, ms)) as unknown as TimerHandle,
  clear: (h) => {
    if (h !== undefined) clearTimeout(h as unknown as NodeJS.Timeout);
  },
};

export const nodeRandom: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };

export const nodeText: TextCodec = {
  encode: (s) => new TextEncoder().encode(s),
  decode: (b, fatal) => new TextDecoder('utf-8', { fatal: fatal ?? false }).decode(b),
};

export const nodeClock: Clock = {
  now: () => Date.now(),
  synchronized: true,
  set: () => {},
  monotonic: () => performance.now(),
};

export interface LogEntry {
  level: LogLevel;
  component: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** A logger that keeps entries for assertions (and prints them when OTA_TEST_LOG=1). */
export class MemoryLogger implements Logger {
  level: LogLevel = 'debug';
  readonly entries: LogEntry[] = [];
  log(level: LogLevel, component: string, message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level, component, message, ...(fields ? { fields } : {}) });
    if (process.env.OTA_TEST_LOG === '1') console.error(`[${level}] ${component}: ${message}`, fields ?? '');
  }
}

export function testPlatform() {
  return { timers: nodeTimers, random: nodeRandom, text: nodeText, clock: nodeClock, log: new MemoryLogger() };
}
