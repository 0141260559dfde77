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

  // One after the other: two SUBACKs owed at once can stall behind Nagle's algorithm on the broker's side
  // (a 40 ms delayed-ACK round on loopback, more on a real link); one at a time never does.
  await mqtt.subscribe(topics.accepted, onAccepted, { qos: 1 });
  await mqtt.subscribe(topics.rejected, onRejected, { qos: 1 });
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
    // Best effort and off the critical path: the answer is in; the next request need not wait for UNSUBACKs.
    void (async () => {
      await mqtt.unsubscribe(topics.accepted, onAccepted).catch(() => undefined);
      await mqtt.unsubscribe(topics.rejected, onRejected).catch(() => undefined);
    })();
  }
}
