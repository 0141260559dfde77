/**
 * The MQTT agent's public contract. Components (provisionee, jobs, datamodel, the application)
 * share one agent; they code against these types.
 */
import type { TlsCredentials } from '../../platform/pal/index.js';
import type { BackoffOptions } from '../util/backoff.js';

export type QoS = 0 | 1;

export interface MqttConnectOptions {
  host: string;
  port: number;
  clientId: string;
  /** TLS with credentials from the key store; omitted means plain TCP (tests only). */
  tls?: TlsCredentials;
  /** Seconds, clamped to AWS IoT's 30..1200 unless `testKeepAliveSeconds` is set. Default 60. */
  keepAliveSeconds?: number;
  /** Tests only: an unclamped keep-alive, e.g. 1 s. */
  testKeepAliveSeconds?: number;
  /** Default true on first connect; the agent keeps the session on reconnect. */
  cleanSession?: boolean;
  username?: string;
  password?: Uint8Array;
  connectTimeoutMs?: number;
  /** Reconnect policy; `maxAttempts` bounds consecutive failures before `onDisconnected` is final. */
  reconnect?: BackoffOptions & { enabled?: boolean; stableAfterMs?: number };
}

export interface MqttAgentConfig {
  /**
   * Depth of the command queue: commands waiting for room in the in-flight window while connected, and
   * subscribes/unsubscribes made while offline. Full ⇒ QueueFullError at once. Default 32.
   */
  commandQueueSize?: number;
  /**
   * Depth of the receive queue (inbound messages waiting for a busy handler). Full ⇒ the message is
   * dropped unacknowledged (counted in `dropped`; the broker redelivers QoS 1 after a reconnect). Default 32.
   */
  receiveQueueSize?: number;
  /** Unacknowledged outbound QoS 1 publishes in flight (AWS IoT: 100). Default 100. */
  maxInFlight?: number;
  /** Publishes held while offline, in order; full ⇒ QueueFullError at once. Default 64. */
  offlineQueueSize?: number;
  /** Largest inbound packet accepted, in bytes; larger ones are refused before buffering. Default 131,072 + 512. */
  maxInboundPacketBytes?: number;
  /**
   * A PUBACK/SUBACK/UNSUBACK that has not come after this many ms means the connection is unusable
   * (e.g. the stream lost sync): the agent reconnects and redelivers with DUP. Default 30,000.
   */
  ackTimeoutMs?: number;
  /** MQTT protocol version: 4 (3.1.1, default) or 5. */
  protocolVersion?: 4 | 5;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
}

export interface SubscribeOptions {
  qos?: QoS;
}

export interface InboundMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
}

/** A handler for messages matching a filter. Exceptions are caught, counted and logged. */
export type MessageHandler = (message: InboundMessage) => void | Promise<void>;

export interface MqttCounters {
  sent: number;
  received: number;
  retransmitted: number;
  dropped: number;
  reconnects: number;
}

export interface ConnectionListener {
  onConnected?(sessionPresent: boolean): void;
  onDisconnected?(reason: Error | undefined): void;
}

export interface MqttClient {
  readonly connected: boolean;
  readonly counters: Readonly<MqttCounters>;
  connect(options: MqttConnectOptions): Promise<{ sessionPresent: boolean }>;
  /** Sends DISCONNECT, stops reconnecting, rejects what is still pending with a typed error. */
  disconnect(): Promise<void>;
  /** Resolves on PUBACK (QoS 1) or once written (QoS 0); while offline it waits in the offline queue. */
  publish(topic: string, payload: Uint8Array | string, options?: PublishOptions): Promise<void>;
  /** Resolves on SUBACK; rejects with SubscribeRejectedError on a 0x80 return code. */
  subscribe(filter: string, handler: MessageHandler, options?: SubscribeOptions): Promise<void>;
  /** Removes `handler` (or every handler) for `filter`; sends UNSUBSCRIBE when none is left. */
  unsubscribe(filter: string, handler?: MessageHandler): Promise<void>;
  /** Adds a connection listener; returns a function that removes it. */
  addConnectionListener(listener: ConnectionListener): () => void;
}
