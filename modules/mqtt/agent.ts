/**
 * The MQTT agent: the device's one MQTT connection, shared by the provisionee, the jobs handler, the
 * data-model handler and the application (the guide's "MQTT agent"). Portable: all I/O, timers, time
 * and randomness come from the Platform.
 *
 * Outbound commands flow: caller → (offline queue | command queue) → in-flight window → PUBACK/SUBACK.
 * - In flight: at most `maxInFlight` unacknowledged QoS 1 publishes (AWS IoT: 100); kept in send order
 *   and resent with DUP after a reconnect.
 * - Command queue: commands accepted while connected that wait for room in the window, and
 *   subscribes/unsubscribes made while offline.
 * - Offline queue: publishes made while disconnected; they go out in order after the next CONNACK.
 * Both queues are bounded; a full queue rejects at once with QueueFullError. Every command in the
 * command queue is older than every one in the offline queue, so draining command queue first keeps
 * publish order.
 *
 * Inbound publishes go through the receive queue to the subscription manager. A QoS 1 message is
 * acknowledged once its handlers have finished (so a message whose handlers never ran is redelivered
 * by the broker); when the receive queue is full the message is dropped unacknowledged and counted.
 */
import type { Connection, Platform, TransportError } from '../../platform/pal/index.js';
import { Backoff } from '../util/backoff.js';
import { BoundedQueue } from '../util/bounded-queue.js';
import { ArgumentError, LimitExceededError, QueueFullError, TimeoutError } from '../util/errors.js';
import {
  AckTimeoutError,
  BrokerDisconnectError,
  ClientClosedError,
  ConnectionLostError,
  ConnectRefusedError,
  KeepAliveTimeoutError,
  MalformedPacketError,
  ProtocolViolationError,
  SubscribeRejectedError,
} from './errors.js';
import { FrameGuard } from './frame-guard.js';
import { Outbox } from './outbox.js';
import { ReceiveQueue, type ReceivedMessage } from './receive-queue.js';
import { KeepAlive } from './keep-alive.js';
import {
  AWS_IOT_LIMITS,
  checkClientId,
  checkPayload,
  checkTopicFilter,
  checkTopicName,
  clampKeepAliveSeconds,
} from './limits.js';
import {
  DISCONNECT,
  encodeConnect,
  encodePuback,
  encodePublish,
  encodeSubscribe,
  encodeUnsubscribe,
  PacketDecoder,
  PINGREQ,
  withDupFlag,
  type InboundPacket,
  type ProtocolVersion,
} from './packet-codec.js';
import { PacketIdAllocator } from './packet-ids.js';
import { SubscriptionRegistry } from './subscriptions.js';
import type {
  ConnectionListener,
  MessageHandler,
  MqttAgentConfig,
  MqttClient,
  MqttConnectOptions,
  MqttCounters,
  PublishOptions,
  QoS,
  SubscribeOptions,
} from './types.js';

/** AWS IoT accepts one CONNECT per second per client id; faster attempts are throttled. */
const MIN_CONNECT_INTERVAL_MS = 1000;
/**
 * When each client id last sent CONNECT, shared by every agent on one platform (keyed by its clock,
 * whose monotonic time the entries are in): the provisionee's claim session and the device session,
 * or an agent replaced by a new one, still keep the one-per-second spacing per client id.
 */
const lastConnects = new WeakMap<object, Map<string, number>>();
/** AWS IoT takes at most 8 filters per SUBSCRIBE. */
const FILTERS_PER_SUBSCRIBE = 8;

interface Settle {
  resolve: () => void;
  reject: (error: Error) => void;
  /** Keep-alive tick time when last sent (coarse on purpose: no clock read per packet). */
  sentAt?: number;
}

interface PublishCommand extends Settle {
  kind: 'publish';
  topic: Uint8Array;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  messageId: number;
  /** The encoded packet once sent; resent (with DUP) after a reconnect. */
  packet: Uint8Array | undefined;
}

interface SubscribeCommand extends Settle {
  kind: 'subscribe';
  filters: Array<{ filter: string; qos: QoS }>;
  /** True for the agent's own resubscribe after a reconnect without session. */
  internal: boolean;
  messageId: number;
}

interface UnsubscribeCommand extends Settle {
  kind: 'unsubscribe';
  filter: string;
  messageId: number;
}

type Command = PublishCommand | SubscribeCommand | UnsubscribeCommand;

type Phase = 'idle' | 'connecting' | 'connected' | 'waiting';

export class MqttAgent implements MqttClient {
  readonly #platform: Platform;
  readonly #maxInFlight: number;
  readonly #maxInboundPacketBytes: number;
  readonly #version: ProtocolVersion;
  readonly #ackTimeoutMs: number;
  /** Monotonic time of the last keep-alive tick; stamps sent commands for the ack timeout. */
  #tickNow = 0;
  readonly #counters: MqttCounters = { sent: 0, received: 0, retransmitted: 0, dropped: 0, reconnects: 0 };
  readonly #commandQueue: BoundedQueue<Command>;
  readonly #offlineQueue: BoundedQueue<PublishCommand>;
  readonly #receiveQueue: ReceiveQueue<Connection>;
  readonly #inFlight = new Map<number, Command>();
  readonly #ids = new PacketIdAllocator();
  readonly #subscriptions = new SubscriptionRegistry();
  readonly #listeners = new Set<ConnectionListener>();
  readonly #empty = new Uint8Array(0);

  readonly #outbox = new Outbox(
    () => this.#connection,
    (error) => this.#log('debug', 'write failed', error), // a dying socket: its onClose drives the reconnect
  );
  #lastTopic = '';
  #lastTopicBytes: Uint8Array | undefined;
  #options: MqttConnectOptions | undefined;
  #phase: Phase = 'idle';
  #connection: Connection | undefined;
  #keepAlive: KeepAlive | undefined;
  #backoff: Backoff | undefined;
  #publishesInFlight = 0;
  /** Set when a publish found the window full; cleared when the queues are empty. */
  #windowRefilling = false;
  readonly #refillBelow: number;
  #handlerErrors = 0;
  #everConnected = false;
  /** Bumped on every attempt and on disconnect(), so a late transport result from an old attempt is ignored. */
  #attemptId = 0;
  #reconnectTimer: ReturnType<Platform['timers']['set']> | undefined;
  #stableTimer: ReturnType<Platform['timers']['set']> | undefined;
  #connectTimer: ReturnType<Platform['timers']['set']> | undefined;
  /** Pending connect() caller, settled by the first CONNACK or a final failure. */
  #connectWaiter: { resolve: (r: { sessionPresent: boolean }) => void; reject: (e: Error) => void } | undefined;

  constructor(platform: Platform, config: MqttAgentConfig = {}) {
    this.#platform = platform;
    this.#maxInFlight = config.maxInFlight ?? AWS_IOT_LIMITS.inFlight;
    this.#maxInboundPacketBytes = config.maxInboundPacketBytes ?? AWS_IOT_LIMITS.payloadBytes + 512;
    this.#version = config.protocolVersion ?? 4;
    this.#ackTimeoutMs = config.ackTimeoutMs ?? 30_000;
    if (!Number.isInteger(this.#maxInFlight) || this.#maxInFlight < 1 || this.#maxInFlight > 65535) {
      throw new RangeError(`expected maxInFlight in 1..65535, got ${this.#maxInFlight}`);
    }
    this.#refillBelow = Math.floor(this.#maxInFlight / 2);
    this.#commandQueue = new BoundedQueue('command', config.commandQueueSize ?? 32);
    this.#offlineQueue = new BoundedQueue('offline publish', config.offlineQueueSize ?? 64);
    this.#receiveQueue = new ReceiveQueue<Connection>(
      config.receiveQueueSize ?? 32,
      this.#subscriptions,
      this.#onHandlerError,
      (item) => this.#acknowledge(item),
    );
  }

  get connected(): boolean {
    return this.#phase === 'connected';
  }

  get counters(): Readonly<MqttCounters> {
    return this.#counters;
  }

  /** Handler exceptions and rejections caught so far (each is also logged). */
  get handlerErrors(): number {
    return this.#handlerErrors;
  }

  /** Reconnect attempts drawn from the backoff since it was last reset (by a stable connection). */
  get backoffAttempts(): number {
    return this.#backoff?.attempts ?? 0;
  }

  /** Unacknowledged QoS 1 publishes on the wire now. */
  get inFlight(): number {
    return this.#publishesInFlight;
  }

  addConnectionListener(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ─── connect / disconnect ────────────────────────────────────────────────────────────────────────

  /**
   * Connects and resolves on the first accepted CONNACK. Failures that a retry can fix (network, broker
   * unavailable, timeouts) are retried with the reconnect backoff; a refusal for credentials or
   * authorization, or exhausted attempts, rejects. After that the agent reconnects on its own.
   */
  connect(options: MqttConnectOptions): Promise<{ sessionPresent: boolean }> {
    if (this.#phase !== 'idle') {
      return Promise.reject(new ArgumentError(`connect() called while ${this.#phase}; call disconnect() first`));
    }
    try {
      checkClientId(options.clientId);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#options = options;
    this.#backoff = new Backoff(this.#platform.random, options.reconnect);
    this.#everConnected = false;
    return new Promise((resolve, reject) => {
      this.#connectWaiter = { resolve, reject };
      const sinceLast = this.#sinceLastConnect();
      if (sinceLast >= MIN_CONNECT_INTERVAL_MS) {
        this.#attempt();
        return;
      }
      this.#phase = 'waiting';
      this.#reconnectTimer = this.#platform.timers.set(() => {
        this.#reconnectTimer = undefined;
        if (this.#phase === 'waiting') this.#attempt();
      }, MIN_CONNECT_INTERVAL_MS - sinceLast);
    });
  }

  async disconnect(): Promise<void> {
    const wasConnected = this.#phase === 'connected';
    if (wasConnected) this.#outbox.flush(); // what callers published before disconnect() still goes out
    const connection = this.#connection;
    this.#phase = 'idle';
    this.#attemptId++;
    this.#clearTimers();
    this.#keepAlive?.stop();
    this.#keepAlive = undefined;
    this.#connection = undefined;
    if (connection) {
      connection.onClose = undefined;
      connection.onData = undefined;
      if (wasConnected) this.#outbox.writeNow(connection, DISCONNECT);
      connection.close();
    }
    const reason = 'disconnect() was called';
    this.#connectWaiter?.reject(new ClientClosedError('connect', reason));
    this.#connectWaiter = undefined;
    this.#failAllPending(reason);
    this.#receiveQueue.clear();
    this.#subscriptions.deactivateAll();
    if (wasConnected) this.#notifyDisconnected(undefined);
  }

  #connectLog(): Map<string, number> {
    const clock = this.#platform.clock;
    let log = lastConnects.get(clock);
    if (!log) lastConnects.set(clock, (log = new Map()));
    return log;
  }

  /** Milliseconds since this client id last sent CONNECT from any agent on this platform. */
  #sinceLastConnect(): number {
    return this.#platform.clock.monotonic() - (this.#connectLog().get(this.#options!.clientId) ?? -Infinity);
  }

  #attempt(): void {
    const options = this.#options!;
    this.#phase = 'connecting';
    const attemptId = ++this.#attemptId;
    this.#connectLog().set(options.clientId, this.#platform.clock.monotonic());
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      this.#onAttemptFailed(error);
    };
    this.#connectTimer = this.#platform.timers.set(() => {
      this.#connectTimer = undefined;
      const connection = this.#connection;
      if (connection) {
        connection.onClose = undefined;
        connection.close();
        this.#connection = undefined;
      }
      fail(new TimeoutError('MQTT connect', timeoutMs));
    }, timeoutMs);

    let connecting: Promise<Connection>;
    try {
      connecting = this.#platform.transport.connect({
        host: options.host,
        port: options.port,
        connectTimeoutMs: timeoutMs,
        ...(options.tls ? { tls: options.tls } : {}),
      });
    } catch (error) {
      // A transport that throws instead of rejecting must not break the timer callback we run in.
      fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    connecting
      .then(
        (connection) => {
          if (settled || this.#phase !== 'connecting' || attemptId !== this.#attemptId) {
            connection.close();
            return;
          }
          this.#connection = connection;
          this.#wire(connection, (error) => fail(error), () => {
            settled = true;
          });
          const keepAliveSeconds =
            options.testKeepAliveSeconds ?? clampKeepAliveSeconds(options.keepAliveSeconds ?? 60);
          const clean = this.#everConnected ? false : (options.cleanSession ?? true);
          this.#outbox.writeNow(
            connection,
            encodeConnect(
              {
                clientId: options.clientId,
                keepAliveSeconds,
                clean,
                ...(options.username !== undefined ? { username: options.username } : {}),
                ...(options.password !== undefined ? { password: options.password } : {}),
              },
              this.#version,
            ),
          );
        },
        (error: Error) => fail(error),
      );
  }

  /** Hooks a fresh connection's callbacks: framing guard → decoder → packet handling. */
  #wire(connection: Connection, failAttempt: (error: Error) => void, onAccepted: () => void): void {
    const guard = new FrameGuard(this.#maxInboundPacketBytes);
    const decoder = new PacketDecoder(this.#version);
    let closedWith: Error | undefined;
    const closeWith = (error: Error) => {
      if (closedWith) return;
      closedWith = error;
      connection.onData = undefined;
      connection.onClose = undefined;
      connection.close();
      if (this.#connection === connection) this.#connection = undefined;
      if (this.#phase === 'connecting') failAttempt(error);
      else if (this.#phase === 'connected') this.#onConnectionLost(error);
    };
    decoder.onPacket = (packet) => {
      if (closedWith) return;
      if (this.#phase === 'connecting') {
        if (packet.cmd !== 'connack') {
          closeWith(new ProtocolViolationError(`expected CONNACK first, got ${packet.cmd}`));
          return;
        }
        if (packet.returnCode !== 0) {
          closeWith(new ConnectRefusedError(packet.returnCode));
          return;
        }
        onAccepted();
        this.#onConnack(packet.sessionPresent, closeWith);
        return;
      }
      this.#onPacket(connection, packet, closeWith);
    };
    connection.onData = (bytes) => {
      if (closedWith) return;
      const atBoundary = guard.atBoundary;
      const framingError = guard.check(bytes);
      if (framingError) {
        closeWith(framingError);
        return;
      }
      const parseError = decoder.push(bytes, atBoundary);
      if (parseError && !closedWith) closeWith(new MalformedPacketError(parseError.message));
    };
    connection.onClose = (error: TransportError | undefined) => {
      if (closedWith) return;
      closedWith = new ConnectionLostError(error);
      connection.onData = undefined;
      if (this.#connection === connection) this.#connection = undefined;
      if (this.#phase === 'connecting') failAttempt(closedWith);
      else if (this.#phase === 'connected') this.#onConnectionLost(closedWith);
    };
  }

  #onConnack(sessionPresent: boolean, closeWith: (error: Error) => void): void {
    const options = this.#options!;
    if (this.#connectTimer !== undefined) this.#platform.timers.clear(this.#connectTimer);
    this.#connectTimer = undefined;
    const reconnected = this.#everConnected;
    this.#everConnected = true;
    this.#phase = 'connected';
    if (reconnected) this.#counters.reconnects++;

    const keepAliveSeconds = options.testKeepAliveSeconds ?? clampKeepAliveSeconds(options.keepAliveSeconds ?? 60);
    this.#keepAlive = new KeepAlive(
      this.#platform.timers,
      this.#platform.clock,
      keepAliveSeconds * 1000,
      () => this.#write(PINGREQ),
      (waitedMs) => closeWith(new KeepAliveTimeoutError(waitedMs)),
      undefined,
      (now) => this.#checkAckDeadline(now, closeWith),
    );
    this.#tickNow = this.#platform.clock.monotonic();
    this.#keepAlive.start();

    // Reset the backoff only once the connection has proved stable, so a broker that accepts and then
    // drops us at once still sees growing delays.
    const stableAfterMs = options.reconnect?.stableAfterMs ?? 30_000;
    this.#stableTimer = this.#platform.timers.set(() => {
      this.#stableTimer = undefined;
      this.#backoff?.reset();
    }, stableAfterMs);

    // Redeliver what was in flight, in the original order, with DUP on publishes; the resubscribe
    // (when the session is gone) goes first so replies to redelivered requests find their handlers.
    const redeliver = [...this.#inFlight.values()];
    if (!sessionPresent) this.#resubscribeAll();
    for (const command of redeliver) {
      command.sentAt = this.#tickNow;
      if (command.kind === 'publish') {
        command.packet = withDupFlag(command.packet!);
        this.#counters.retransmitted++;
        this.#write(command.packet);
      } else if (command.kind === 'subscribe') {
        this.#write(encodeSubscribe(command.messageId, command.filters, this.#version));
      } else {
        this.#write(encodeUnsubscribe(command.messageId, [command.filter], this.#version));
      }
    }
    this.#pump();

    const waiter = this.#connectWaiter;
    this.#connectWaiter = undefined;
    waiter?.resolve({ sessionPresent });
    for (const listener of [...this.#listeners]) {
      try {
        listener.onConnected?.(sessionPresent);
      } catch (error) {
        this.#log('warn', 'onConnected listener threw', error);
      }
    }
  }

  #onAttemptFailed(error: Error): void {
    if (this.#connectTimer !== undefined) this.#platform.timers.clear(this.#connectTimer);
    this.#connectTimer = undefined;
    if (this.#phase !== 'connecting') return;
    this.#connection = undefined;
    const fatal = isFatalConnectError(error);
    if (fatal || this.#options?.reconnect?.enabled === false) {
      this.#giveUp(error);
      return;
    }
    this.#log('warn', 'connect attempt failed', error);
    this.#scheduleReconnect(error);
  }

  #onConnectionLost(error: Error): void {
    this.#phase = 'waiting';
    this.#keepAlive?.stop();
    this.#keepAlive = undefined;
    if (this.#stableTimer !== undefined) this.#platform.timers.clear(this.#stableTimer);
    this.#stableTimer = undefined;
    // Messages not yet handled came on the dead connection; their PUBACK cannot be sent, the broker
    // redelivers them. Drop them instead of running handlers for a session that is gone.
    this.#receiveQueue.clear();
    this.#log('warn', 'connection lost', error);
    this.#notifyDisconnected(error);
    if (this.#options?.reconnect?.enabled === false) {
      this.#giveUp(error);
      return;
    }
    this.#scheduleReconnect(error);
  }

  #scheduleReconnect(cause: Error): void {
    const delay = this.#backoff!.next();
    if (delay === undefined) {
      this.#giveUp(cause);
      return;
    }
    this.#phase = 'waiting';
    const wait = Math.max(delay, MIN_CONNECT_INTERVAL_MS - this.#sinceLastConnect());
    this.#reconnectTimer = this.#platform.timers.set(() => {
      this.#reconnectTimer = undefined;
      if (this.#phase === 'waiting') this.#attempt();
    }, wait);
  }

  /** Stops for good: rejects connect() and everything pending, tells the listeners. */
  #giveUp(cause: Error): void {
    const wasEverConnected = this.#everConnected;
    this.#phase = 'idle';
    this.#clearTimers();
    const waiter = this.#connectWaiter;
    this.#connectWaiter = undefined;
    const reason = `gave up connecting: ${cause.message}`;
    this.#failAllPending(reason);
    this.#subscriptions.deactivateAll();
    if (waiter) waiter.reject(cause);
    else if (wasEverConnected) this.#notifyDisconnected(new ClientClosedError('reconnect', reason, cause));
  }

  #clearTimers(): void {
    const timers = this.#platform.timers;
    if (this.#reconnectTimer !== undefined) timers.clear(this.#reconnectTimer);
    if (this.#stableTimer !== undefined) timers.clear(this.#stableTimer);
    if (this.#connectTimer !== undefined) timers.clear(this.#connectTimer);
    this.#reconnectTimer = this.#stableTimer = this.#connectTimer = undefined;
  }

  #failAllPending(reason: string): void {
    const commands = [...this.#inFlight.values(), ...this.#commandQueue.drain(), ...this.#offlineQueue.drain()];
    this.#inFlight.clear();
    this.#publishesInFlight = 0;
    this.#windowRefilling = false;
    for (const command of commands) {
      if (command.kind === 'subscribe') {
        for (const { filter } of command.filters) {
          const s = this.#subscriptions.get(filter);
          if (s && !s.active) this.#subscriptions.delete(filter);
        }
      }
      command.reject(new ClientClosedError(command.kind, reason));
    }
  }

  #notifyDisconnected(reason: Error | undefined): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener.onDisconnected?.(reason);
      } catch (error) {
        this.#log('warn', 'onDisconnected listener threw', error);
      }
    }
  }

  // ─── publish ─────────────────────────────────────────────────────────────────────────────────────

  publish(topic: string, payload: Uint8Array | string, options?: PublishOptions): Promise<void> {
    const qos: QoS = options?.qos ?? 0;
    let command: PublishCommand;
    try {
      if (qos !== 0 && qos !== 1) throw new ArgumentError(`expected QoS 0 or 1 (AWS IoT has no QoS 2), got ${qos}`);
      // Devices publish to the same topic over and over: reuse the last validated encoding.
      let topicBytes = this.#lastTopicBytes;
      if (topic !== this.#lastTopic || !topicBytes) {
        topicBytes = checkTopicName(topic);
        this.#lastTopic = topic;
        this.#lastTopicBytes = topicBytes;
      }
      const bytes = typeof payload === 'string' ? this.#platform.text.encode(payload) : payload;
      checkPayload(bytes);
      command = {
        kind: 'publish',
        topic: topicBytes,
        payload: bytes,
        qos,
        retain: options?.retain === true,
        messageId: 0,
        packet: undefined,
        resolve: noop,
        reject: noop,
      };
    } catch (error) {
      return Promise.reject(error);
    }
    // Fast path: connected, nothing queued ahead, room in the window.
    if (
      this.#phase === 'connected' &&
      this.#commandQueue.length === 0 &&
      this.#offlineQueue.length === 0 &&
      (qos === 0 || this.#publishesInFlight < this.#maxInFlight)
    ) {
      if (qos === 0) {
        this.#sendPublish(command);
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        command.resolve = resolve;
        command.reject = reject;
        this.#sendPublish(command);
      });
    }
    // Queued: keep a snapshot, so a caller reusing its buffer cannot change what goes out later
    // (the fast path above copies the payload into the packet at once).
    if (typeof payload !== 'string') command.payload = payload.slice();
    return new Promise<void>((resolve, reject) => {
      command.resolve = resolve;
      command.reject = reject;
      try {
        this.#enqueue(command);
      } catch (error) {
        reject(error as Error);
      }
    });
  }

  /** Queues a command behind the ones already waiting; throws QueueFullError when full. */
  #enqueue(command: Command): void {
    const online = this.#phase === 'connected';
    // A batched refill must never be why a queue is full: with room in the window, send now.
    if (online && (this.#commandQueue.full || this.#offlineQueue.full)) this.#pump(true);
    if (command.kind === 'publish' && (!online || this.#offlineQueue.length > 0)) {
      this.#offlineQueue.push(command);
    } else {
      this.#commandQueue.push(command);
    }
    if (online) this.#pump();
  }

  #sendPublish(command: PublishCommand): void {
    if (command.qos === 1) {
      command.messageId = this.#ids.allocate((id) => this.#inFlight.has(id), this.#inFlight.size);
      this.#inFlight.set(command.messageId, command);
      this.#publishesInFlight++;
      command.sentAt = this.#tickNow;
    }
    command.packet = encodePublish(
      { topic: command.topic, payload: command.payload, qos: command.qos, retain: command.retain, dup: false, messageId: command.messageId },
      this.#version,
    );
    this.#counters.sent++;
    this.#write(command.packet);
    if (command.qos === 0) {
      command.packet = undefined;
      command.resolve();
    }
  }

  /** Moves queued commands onto the wire while connected and the window has room. */
  #pump(force = false): void {
    // Once the window was full, refill it in batches (from half empty to full) rather than one publish
    // per PUBACK: brokers send each PUBACK as its own TLS record and read, so per-PUBACK refills would
    // cost a socket write and a TLS record per message; batches cost one per half window. `force`
    // skips the wait (a queue is full and the window has room).
    if (!force && this.#windowRefilling && this.#publishesInFlight > this.#refillBelow) return;
    while (this.#phase === 'connected') {
      const fromCommandQueue = this.#commandQueue.length > 0;
      const next = fromCommandQueue ? this.#commandQueue.peek() : this.#offlineQueue.peek();
      if (!next) {
        this.#windowRefilling = false;
        return;
      }
      if (next.kind === 'publish' && next.qos === 1 && this.#publishesInFlight >= this.#maxInFlight) {
        this.#windowRefilling = true;
        return;
      }
      if (fromCommandQueue) this.#commandQueue.shift();
      else this.#offlineQueue.shift();
      if (next.kind === 'publish') this.#sendPublish(next);
      else if (next.kind === 'subscribe') this.#sendSubscribe(next);
      else this.#sendUnsubscribe(next);
    }
  }

  // ─── subscribe / unsubscribe ─────────────────────────────────────────────────────────────────────

  subscribe(filter: string, handler: MessageHandler, options?: SubscribeOptions): Promise<void> {
    const qos: QoS = options?.qos ?? 0;
    try {
      if (qos !== 0 && qos !== 1) throw new ArgumentError(`expected QoS 0 or 1 (AWS IoT has no QoS 2), got ${qos}`);
      if (typeof handler !== 'function') throw new ArgumentError('expected a handler function');
      checkTopicFilter(filter);
    } catch (error) {
      return Promise.reject(error);
    }
    const existing = this.#subscriptions.get(filter);
    if (!existing && this.#subscriptions.size >= AWS_IOT_LIMITS.subscriptions) {
      // The broker would refuse the 51st filter of a connection; say so here, by name.
      return Promise.reject(new LimitExceededError('subscriptions per connection', AWS_IOT_LIMITS.subscriptions, this.#subscriptions.size + 1));
    }
    if (existing && existing.active && existing.qos >= qos) {
      // Already granted on this session: another handler for the same filter needs no SUBSCRIBE.
      this.#subscriptions.add(filter, qos, handler);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const command: SubscribeCommand = {
        kind: 'subscribe',
        filters: [{ filter, qos }],
        internal: false,
        messageId: 0,
        resolve,
        reject: (error) => {
          this.#subscriptions.removeHandler(filter, handler);
          reject(error);
        },
      };
      // Registered before sending: a SUBACK marks the subscription active when it arrives.
      const subscription = this.#subscriptions.add(filter, qos, handler);
      subscription.qos = Math.max(subscription.qos, qos) as QoS;
      try {
        if (this.#phase === 'connected' && this.#commandQueue.length === 0) this.#sendSubscribe(command);
        else this.#enqueue(command);
      } catch (error) {
        command.reject(error as Error);
      }
    });
  }

  unsubscribe(filter: string, handler?: MessageHandler): Promise<void> {
    const subscription = this.#subscriptions.get(filter);
    if (!subscription) return Promise.resolve();
    const wasActive = subscription.active;
    if (!this.#subscriptions.removeHandler(filter, handler)) return Promise.resolve();
    // No handler left. If the broker never granted it on this session there is nothing to undo.
    if (!wasActive && this.#phase !== 'connected') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const command: UnsubscribeCommand = { kind: 'unsubscribe', filter, messageId: 0, resolve, reject };
      try {
        if (this.#phase === 'connected' && this.#commandQueue.length === 0) this.#sendUnsubscribe(command);
        else this.#enqueue(command);
      } catch (error) {
        reject(error as Error);
      }
    });
  }

  #sendSubscribe(command: SubscribeCommand): void {
    command.sentAt = this.#tickNow;
    command.messageId = this.#ids.allocate((id) => this.#inFlight.has(id), this.#inFlight.size);
    this.#inFlight.set(command.messageId, command);
    this.#write(encodeSubscribe(command.messageId, command.filters, this.#version));
  }

  #sendUnsubscribe(command: UnsubscribeCommand): void {
    command.sentAt = this.#tickNow;
    command.messageId = this.#ids.allocate((id) => this.#inFlight.has(id), this.#inFlight.size);
    this.#inFlight.set(command.messageId, command);
    this.#write(encodeUnsubscribe(command.messageId, [command.filter], this.#version));
  }

  /** The broker kept no session: subscribe again to everything granted before, 8 filters per packet. */
  #resubscribeAll(): void {
    const granted = this.#subscriptions.active();
    for (const s of granted) s.active = false;
    const pendingFilters = new Set<string>();
    for (const c of this.#inFlight.values()) if (c.kind === 'subscribe') for (const f of c.filters) pendingFilters.add(f.filter);
    const filters = granted.filter((s) => !pendingFilters.has(s.filter)).map((s) => ({ filter: s.filter, qos: s.qos }));
    for (let i = 0; i < filters.length; i += FILTERS_PER_SUBSCRIBE) {
      const batch = filters.slice(i, i + FILTERS_PER_SUBSCRIBE);
      this.#sendSubscribe({
        kind: 'subscribe',
        filters: batch,
        internal: true,
        messageId: 0,
        resolve: noop,
        reject: (error) => this.#log('warn', 'resubscribe failed', error),
      });
    }
  }

  /**
   * The oldest command in flight (the map keeps send order) waiting past the ack timeout means acks
   * are not coming on this connection; reconnecting redelivers it (with DUP) on a fresh one.
   */
  #checkAckDeadline(now: number, closeWith: (error: Error) => void): void {
    this.#tickNow = now;
    for (const command of this.#inFlight.values()) {
      const waited = now - (command.sentAt ?? now);
      if (waited > this.#ackTimeoutMs) {
        const packet = command.kind === 'publish' ? 'PUBLISH' : command.kind === 'subscribe' ? 'SUBSCRIBE' : 'UNSUBSCRIBE';
        closeWith(new AckTimeoutError(packet, command.messageId, waited));
      }
      return;
    }
  }

  // ─── inbound ─────────────────────────────────────────────────────────────────────────────────────

  #onPacket(connection: Connection, packet: InboundPacket, closeWith: (error: Error) => void): void {
    switch (packet.cmd) {
      case 'publish':
        this.#onPublish(connection, packet, closeWith);
        return;
      case 'puback': {
        const command = this.#inFlight.get(packet.messageId);
        if (command?.kind !== 'publish') return; // a late or duplicate PUBACK: nothing waits for it
        this.#inFlight.delete(packet.messageId);
        this.#publishesInFlight--;
        command.packet = undefined;
        command.resolve();
        this.#pump();
        return;
      }
      case 'suback': {
        const command = this.#inFlight.get(packet.messageId);
        if (command?.kind !== 'subscribe') return;
        this.#inFlight.delete(packet.messageId);
        let rejected: SubscribeRejectedError | undefined;
        command.filters.forEach(({ filter }, i) => {
          const code = packet.granted[i] ?? 0x80;
          const subscription = this.#subscriptions.get(filter);
          if (code >= 0x80) {
            rejected ??= new SubscribeRejectedError(filter, code);
            if (command.internal) this.#log('warn', `broker refused resubscribe to ${filter}`, undefined);
          } else if (subscription) {
            subscription.active = true;
          }
        });
        if (rejected) command.reject(rejected);
        else command.resolve();
        this.#pump();
        return;
      }
      case 'unsuback': {
        const command = this.#inFlight.get(packet.messageId);
        if (command?.kind !== 'unsubscribe') return;
        this.#inFlight.delete(packet.messageId);
        command.resolve();
        this.#pump();
        return;
      }
      case 'pingresp':
        this.#keepAlive?.notePingResponse();
        return;
      case 'disconnect':
        closeWith(new BrokerDisconnectError(packet.reasonCode));
        return;
      case 'connack':
        closeWith(new ProtocolViolationError('second CONNACK on one connection'));
        return;
      default:
        closeWith(new ProtocolViolationError(`unexpected ${packet.name} packet from broker`));
    }
  }

  #onPublish(
    connection: Connection,
    packet: Extract<InboundPacket, { cmd: 'publish' }>,
    closeWith: (error: Error) => void,
  ): void {
    if (packet.qos > 1) {
      closeWith(new ProtocolViolationError(`QoS ${packet.qos} PUBLISH (only 0 and 1 were subscribed)`));
      return;
    }
    this.#counters.received++;
    const accepted = this.#receiveQueue.offer({
      message: {
        topic: packet.topic,
        payload: packet.payload ?? this.#empty,
        qos: packet.qos as QoS,
        retain: packet.retain,
        dup: packet.dup,
      },
      messageId: packet.messageId,
      origin: connection,
    });
    if (!accepted) {
      // Unacknowledged on purpose: the broker redelivers a QoS 1 message after the next reconnect.
      this.#counters.dropped++;
      this.#log('warn', 'inbound message dropped', new QueueFullError(this.#receiveQueue.name, this.#receiveQueue.capacity));
    }
  }

  #acknowledge(item: ReceivedMessage<Connection>): void {
    if (item.message.qos === 1 && item.origin === this.#connection && this.#phase === 'connected') {
      this.#write(encodePuback(item.messageId));
    }
  }

  #onHandlerError = (filter: string, error: unknown): void => {
    this.#handlerErrors++;
    this.#log('error', `handler for "${filter}" threw`, error);
  };

  // ─── output ──────────────────────────────────────────────────────────────────────────────────────

  /** Every packet goes through the outbox, coalesced per job (see outbox.ts). */
  #write(bytes: Uint8Array): void {
    const connection = this.#connection;
    if (!connection) return;
    this.#keepAlive?.noteSent();
    this.#outbox.write(connection, bytes);
  }

  #log(level: 'debug' | 'info' | 'warn' | 'error', message: string, error: unknown): void {
    const fields =
      error instanceof Error ? { error: error.name, detail: error.message } : error === undefined ? undefined : { detail: String(error) };
    this.#platform.log.log(level, 'mqtt', message, fields);
  }
}

function noop(): void {}

/**
 * Errors a retry cannot fix: a CONNACK refusal for protocol, identity, credentials or authorization
 * (server unavailable/busy are retried), or a certificate the other side will not accept.
 */
function isFatalConnectError(error: Error): boolean {
  const cause = error instanceof ConnectionLostError && error.cause ? error.cause : error;
  if (cause instanceof ConnectRefusedError) {
    return cause.returnCode !== 3 && cause.returnCode !== 0x88 && cause.returnCode !== 0x89;
  }
  const code = (cause as { code?: unknown }).code;
  return cause.name === 'TransportError' && typeof code === 'string' && code.startsWith('certificate-');
}

export function createMqttAgent(platform: Platform, config?: MqttAgentConfig): MqttAgent {
  return new MqttAgent(platform, config);
}
