/**
 * AWS IoT Core message-broker limits, checked before anything is sent, so a too-long topic is a typed
 * error at the call site instead of a silent disconnect by the broker. Sizes are encoded UTF-8 bytes.
 */
import { ArgumentError, LimitExceededError } from '../util/errors.js';
import { utf8Encode } from './utf8.js';

export const AWS_IOT_LIMITS = {
  /** Publish payload, bytes. */
  payloadBytes: 128 * 1024,
  /** Topic name or filter, UTF-8 bytes. */
  topicBytes: 256,
  /** Forward slashes in a topic or filter, not counting the Basic Ingest `$aws/rules/<rule>/` prefix. */
  topicSlashes: 7,
  /** Client id, UTF-8 bytes. */
  clientIdBytes: 128,
  keepAliveMinSeconds: 30,
  keepAliveMaxSeconds: 1200,
  /** Unacknowledged outbound QoS 1 publishes per connection. */
  inFlight: 100,
  /** Topic filters subscribed per connection. */
  subscriptions: 50,
} as const;

const SLASH = 0x2f;
const BASIC_INGEST_PREFIX = '$aws/rules/';

/** Slashes that count against the limit: Basic Ingest's first three levels are excluded. */
function countedSlashes(bytes: Uint8Array, name: string): number {
  let slashes = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === SLASH) slashes++;
  if (name.startsWith(BASIC_INGEST_PREFIX)) slashes = Math.max(0, slashes - 3);
  return slashes;
}

function checkLength(kind: string, name: string, bytes: Uint8Array): void {
  if (bytes.length === 0) throw new ArgumentError(`expected a non-empty ${kind}, got ""`);
  if (bytes.length > AWS_IOT_LIMITS.topicBytes) {
    throw new LimitExceededError(`${kind} length in bytes`, AWS_IOT_LIMITS.topicBytes, bytes.length);
  }
  const slashes = countedSlashes(bytes, name);
  if (slashes > AWS_IOT_LIMITS.topicSlashes) {
    throw new LimitExceededError(`${kind} slashes`, AWS_IOT_LIMITS.topicSlashes, slashes);
  }
}

/** Validates a topic name for PUBLISH and returns its UTF-8 bytes (reused by the encoder). */
export function checkTopicName(topic: string): Uint8Array {
  const bytes = utf8Encode(topic);
  checkLength('topic', topic, bytes);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x2b || b === 0x23 || b === 0) {
      throw new ArgumentError(`expected a topic name without wildcards or NUL, got "${topic}"`);
    }
  }
  return bytes;
}

/** Validates a topic filter for SUBSCRIBE/UNSUBSCRIBE (wildcards only as whole levels, `#` last). */
export function checkTopicFilter(filter: string): void {
  checkLength('topic filter', filter, utf8Encode(filter));
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      throw new ArgumentError(`expected "#" only as the whole last level of a filter, got "${filter}"`);
    }
    if (level.includes('+') && level !== '+') {
      throw new ArgumentError(`expected "+" only as a whole level of a filter, got "${filter}"`);
    }
  }
  if (filter.includes('\u0000')) throw new ArgumentError(`expected a filter without NUL, got "${filter}"`);
}

export function checkPayload(payload: Uint8Array, max: number = AWS_IOT_LIMITS.payloadBytes): void {
  if (payload.length > max) throw new LimitExceededError('payload size in bytes', max, payload.length);
}

export function checkClientId(clientId: string): void {
  const length = utf8Encode(clientId).length;
  if (length === 0) throw new ArgumentError('expected a non-empty client id');
  if (clientId.startsWith('$')) {
    throw new ArgumentError(`expected a client id not starting with "$" (reserved by AWS IoT), got "${clientId}"`);
  }
  if (length > AWS_IOT_LIMITS.clientIdBytes) {
    throw new LimitExceededError('client id length in bytes', AWS_IOT_LIMITS.clientIdBytes, length);
  }
}

/** AWS IoT clamps keep-alive into 30..1200 s (0 or above 1200 becomes 1200); we do the same up front. */
export function clampKeepAliveSeconds(seconds: number): number {
  if (!(seconds > 0) || seconds > AWS_IOT_LIMITS.keepAliveMaxSeconds) return AWS_IOT_LIMITS.keepAliveMaxSeconds;
  return Math.max(AWS_IOT_LIMITS.keepAliveMinSeconds, Math.round(seconds));
}
