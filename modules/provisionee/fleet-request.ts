/**
 * One fleet provisioning request/response exchange over an MQTT client: subscribe to accepted and
 * rejected and wait for both SUBACKs (AWS answers only on the connection that asked, and only to
 * subscribers), publish the request, wait for one answer, then unsubscribe.
 */
import type { Timers } from '../../platform/pal/index.js';
import type { InboundMessage, MqttClient } from '../mqtt/types.js';
import { TimeoutError } from '../util/errors.js';
import type { FleetOperation } from './errors.js';
import type { OperationTopics } from './topics.js';

export interface FleetAnswer {
  accepted: boolean;
  payload: Uint8Array;
}

export async function fleetRequest(
  mqtt: MqttClient,
  timers: Timers,
  operation: FleetOperation,
  topics: OperationTopics,
  payload: Uint8Array,
  timeoutMs: number,
): Promise<FleetAnswer> {
  let settle: ((answer: FleetAnswer) => void) | undefined;
  let answered: FleetAnswer | undefined;
  const onAccepted = (message: InboundMessage) => deliver({ accepted: true, payload: message.payload });
  const onRejected = (message: InboundMessage) => deliver({ accepted: false, payload: message.payload });
  function deliver(answer: FleetAnswer): void {
    if (answered) return; // the first answer wins; a duplicate (QoS 1 redelivery) is ignored
    answered = answer;
    settle?.(answer);
  }

  await Promise.all([mqtt.subscribe(topics.accepted, onAccepted, { qos: 1 }), mqtt.subscribe(topics.rejected, onRejected, { qos: 1 })]);
  let timer;
  try {
    const answer = new Promise<FleetAnswer>((resolve, reject) => {
      settle = resolve;
      timer = timers.set(() => reject(new TimeoutError(`${operation} response`, timeoutMs)), timeoutMs);
    });
    // The timeout may fire while publish is still waiting; it is observed below, not left unhandled.
    answer.catch(() => undefined);
    await mqtt.publish(topics.request, payload, { qos: 1 });
    return answered ?? (await answer);
  } finally {
    timers.clear(timer);
    // Best effort: the claim policy allows few subscriptions; a failure here must not hide the answer.
    await Promise.all([
      mqtt.unsubscribe(topics.accepted, onAccepted).catch(() => undefined),
      mqtt.unsubscribe(topics.rejected, onRejected).catch(() => undefined),
    ]);
  }
}
