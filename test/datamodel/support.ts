/**
 * Test doubles for data-model unit tests: an in-memory MqttClient, in-memory storage, a recording
 * logger, a settable clock and manual timers. End-to-end tests use the real MQTT agent and the
 * simulator instead.
 */
import type { Clock, KeyValueStorage, Logger, LogLevel, TextCodec, TimerHandle, Timers } from '../../platform/pal/index.js';
import type { ConnectionListener, InboundMessage, MqttConnectOptions, MessageHandler, MqttClient, MqttCounters, PublishOptions } from '../../modules/mqtt/types.js';
import type { DataModelPlatform } from '../../modules/datamodel/index.js';

export const text: TextCodec = {
  encode: (s) => new TextEncoder().encode(s),
  decode: (b, fatal) => new TextDecoder('utf-8', { fatal: fatal ?? false }).decode(b),
};

export class MemoryStorage implements KeyValueStorage {
  readonly map = new Map<string, Uint8Array>();
  writes = 0;
  /** Delay before a set() resolves, to model slow flash. */
  setDelayMs = 0;
  failSets = false;
  async get(key: string) {
    const v = this.map.get(key);
    return v ? v.slice() : undefined;
  }
  async set(key: string, value: Uint8Array) {
    if (this.setDelayMs) await new Promise((r) => setTimeout(r, this.setDelayMs));
    if (this.failSets) throw new Error('flash write failed');
    this.writes++;
    this.map.set(key, value.slice());
  }
  async delete(key: string) {
    this.map.delete(key);
  }
  async keys() {
    return [...this.map.keys()];
  }
}

export class RecordingLogger implements Logger {
  level: LogLevel = 'debug';
  readonly lines: { level: LogLevel; component: string; message: string }[] = [];
  log(level: LogLevel, component: string, message: string): void {
    this.lines.push({ level, component, message });
  }
  has(pattern: RegExp): boolean {
    return this.lines.some((l) => pattern.test(l.message));
  }
}

export class TestClock implements Clock {
  ms = Date.UTC(2024, 5, 11, 1, 38, 9, 0);
  synchronized = true;
  now() {
    return this.ms;
  }
  set(ms: number) {
    this.ms = ms;
  }
  monotonic() {
    return this.ms;
  }
}

/** Real Node timers (the reporter's window and callback timeouts run in real time, kept short in tests). */
export const nodeTimers: Timers = {
  set: (cb, ms) => setTimeout(cb, ms) as unknown as TimerHandle,
  repeat: (cb, ms) => setInterval(cb, ms) as unknown as TimerHandle,
  clear: (h) => clearTimeout(h as unknown as NodeJS.Timeout),
};

export function testPlatform(overrides: Partial<DataModelPlatform> = {}): DataModelPlatform & { storage: MemoryStorage; log: RecordingLogger; clock: TestClock } {
  return {
    timers: nodeTimers,
    clock: new TestClock(),
    text,
    log: new RecordingLogger(),
    storage: new MemoryStorage(),
    ...overrides,
  } as DataModelPlatform & { storage: MemoryStorage; log: RecordingLogger; clock: TestClock };
}

export interface Published {
  topic: string;
  json: any;
}

function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** An in-memory MqttClient: records publishes, delivers `inject`ed messages, can go offline. */
export class MemoryMqtt implements MqttClient {
  connected = true;
  readonly counters: MqttCounters = { sent: 0, received: 0, retransmitted: 0, dropped: 0, reconnects: 0 };
  readonly published: Published[] = [];
  readonly subscriptions = new Map<string, Set<MessageHandler>>();
  readonly listeners = new Set<ConnectionListener>();
  failPublishes = false;
  #waiters: { topic: string; resolve: (p: Published) => void }[] = [];

  async connect(_options?: MqttConnectOptions): Promise<{ sessionPresent: boolean }> {
    this.goOnline();
    return { sessionPresent: false };
  }
  async disconnect() {
    this.goOffline();
  }
  goOffline() {
    this.connected = false;
    for (const l of this.listeners) l.onDisconnected?.(undefined);
  }
  goOnline() {
    this.connected = true;
    for (const l of this.listeners) l.onConnected?.(false);
  }
  async publish(topic: string, payload: Uint8Array | string, _options?: PublishOptions) {
    if (this.failPublishes || !this.connected) throw new Error('not connected');
    const bytes = typeof payload === 'string' ? text.encode(payload) : payload;
    const message = { topic, json: JSON.parse(text.decode(bytes)) };
    this.published.push(message);
    this.counters.sent++;
    for (const w of [...this.#waiters]) {
      if (w.topic === topic) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
  }
  async subscribe(filter: string, handler: MessageHandler) {
    let set = this.subscriptions.get(filter);
    if (!set) this.subscriptions.set(filter, (set = new Set()));
    set.add(handler);
  }
  async unsubscribe(filter: string, handler?: MessageHandler) {
    const set = this.subscriptions.get(filter);
    if (!set) return;
    if (handler) set.delete(handler);
    else set.clear();
    if (set.size === 0) this.subscriptions.delete(filter);
  }
  addConnectionListener(listener: ConnectionListener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  inject(topic: string, payload: string | Uint8Array) {
    const bytes = typeof payload === 'string' ? text.encode(payload) : payload;
    const message: InboundMessage = { topic, payload: bytes, qos: 1, retain: false, dup: false };
    for (const [filter, handlers] of this.subscriptions) if (matches(filter, topic)) for (const h of handlers) void h(message);
  }
  nextOn(topic: string): Promise<Published> {
    return new Promise((resolve) => this.#waiters.push({ topic, resolve }));
  }
  on(topic: string): Published[] {
    return this.published.filter((p) => p.topic === topic);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
