/** The MQTT agent's public surface. */
export { MqttAgent, createMqttAgent } from './agent.js';
export { topicMatches } from './topic-match.js';
export { AWS_IOT_LIMITS } from './limits.js';
export {
  AckTimeoutError,
  BrokerDisconnectError,
  ClientClosedError,
  ConnectRefusedError,
  SubscribeRejectedError,
  MalformedPacketError,
  InboundPacketTooLargeError,
  ProtocolViolationError,
  KeepAliveTimeoutError,
  ConnectionLostError,
} from './errors.js';
export { QueueFullError, LimitExceededError, TimeoutError, ArgumentError } from '../util/errors.js';
export type * from './types.js';
