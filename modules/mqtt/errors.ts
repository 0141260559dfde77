/** Typed errors of the MQTT agent; every one extends SdkError so callers can tell ours from bugs. */
import { SdkError } from '../util/errors.js';

/** The operation needs a connection and the agent was told to stop (disconnect()) or gave up reconnecting. */
export class ClientClosedError extends SdkError {
  /** `cause`: the error that made the client give up (e.g. the broker refusing the certificate). */
  constructor(readonly operation: string, readonly reason: string, override readonly cause?: Error) {
    super(`${operation} abandoned: ${reason}`);
  }
}

/** CONNACK returned a non-zero return code (3.1.1) or a reason code >= 0x80 (MQTT 5). */
export class ConnectRefusedError extends SdkError {
  constructor(readonly returnCode: number) {
    super(`broker refused CONNECT with return code ${returnCode} (${describeConnackCode(returnCode)})`);
  }
}

/** SUBACK answered 0x80 (or an MQTT 5 reason code >= 0x80) for a filter. */
export class SubscribeRejectedError extends SdkError {
  constructor(readonly filter: string, readonly returnCode: number) {
    super(`broker rejected subscription to "${filter}" with return code 0x${returnCode.toString(16).padStart(2, '0')}`);
  }
}

/** Inbound bytes that are not a valid MQTT packet; the agent closes the connection and reconnects. */
export class MalformedPacketError extends SdkError {
  constructor(readonly detail: string) {
    super(`malformed MQTT packet from broker: ${detail}`);
  }
}

/** An inbound packet declared a length above `maxInboundPacketBytes`; it was refused before buffering. */
export class InboundPacketTooLargeError extends SdkError {
  constructor(readonly max: number, readonly declared: number) {
    super(`inbound MQTT packet of ${declared} bytes exceeds maxInboundPacketBytes ${max}`);
  }
}

/** A packet the broker must not send in this state (e.g. a second CONNACK, QoS 2 PUBLISH). */
export class ProtocolViolationError extends SdkError {
  constructor(readonly detail: string) {
    super(`MQTT protocol violation by broker: ${detail}`);
  }
}

/** The broker ended the connection with a DISCONNECT (MQTT 5; e.g. 0x8E session taken over). */
export class BrokerDisconnectError extends SdkError {
  constructor(readonly reasonCode: number) {
    super(`broker sent DISCONNECT with reason code 0x${reasonCode.toString(16).padStart(2, '0')}`);
  }
}

/** No PINGRESP (or CONNACK) arrived in time; the connection is treated as dead. */
export class KeepAliveTimeoutError extends SdkError {
  constructor(readonly waitedMs: number) {
    super(`no PINGRESP within ${waitedMs} ms; connection considered dead`);
  }
}

/** An acknowledgement (PUBACK, SUBACK, UNSUBACK) did not come in time; the agent reconnects and redelivers. */
export class AckTimeoutError extends SdkError {
  constructor(readonly packet: string, readonly messageId: number, readonly waitedMs: number) {
    super(`no acknowledgement for ${packet} ${messageId} within ${waitedMs} ms; reconnecting to redeliver`);
  }
}

/** The connection dropped; carries the transport's error when there was one. */
export class ConnectionLostError extends SdkError {
  constructor(override readonly cause: Error | undefined) {
    super(`MQTT connection lost${cause ? `: ${cause.message}` : ''}`);
  }
}

function describeConnackCode(code: number): string {
  switch (code) {
    case 1: return 'unacceptable protocol version';
    case 2: return 'identifier rejected';
    case 3: return 'server unavailable';
    case 4: return 'bad user name or password';
    case 5: return 'not authorized';
    case 7: return 'not authorized (AWS IoT)';
    default: return code >= 0x80 ? 'MQTT 5 failure reason' : 'unknown';
  }
}
