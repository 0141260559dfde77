/**
 * The receive queue: inbound messages wait here while a handler is busy. Messages are dispatched one
 * at a time, in arrival order; synchronous handlers run without any deferral, an asynchronous one
 * holds the queue until its promise settles. Each message is acknowledged (PUBACK for QoS 1) only
 * after its handlers have finished; a message that finds the queue full is refused, so it is never
 * acknowledged and the broker redelivers it after the next reconnect.
 */
import { BoundedQueue } from '../util/bounded-queue.js';
import type { HandlerErrorReporter, SubscriptionRegistry } from './subscriptions.js';
import type { InboundMessage } from './types.js';

export interface ReceivedMessage<Origin> {
  message: InboundMessage;
  messageId: number;
  /** Where it came from (the connection): a PUBACK only makes sense there. */
  origin: Origin;
}

export class ReceiveQueue<Origin> {
  readonly #queue: BoundedQueue<ReceivedMessage<Origin>>;
  readonly #subscriptions: SubscriptionRegistry;
  readonly #onHandlerError: HandlerErrorReporter;
  readonly #acknowledge: (item: ReceivedMessage<Origin>) => void;
  #dispatching = false;

  constructor(
    capacity: number,
    subscriptions: SubscriptionRegistry,
    onHandlerError: HandlerErrorReporter,
    acknowledge: (item: ReceivedMessage<Origin>) => void,
  ) {
    this.#queue = new BoundedQueue('receive', capacity);
    this.#subscriptions = subscriptions;
    this.#onHandlerError = onHandlerError;
    this.#acknowledge = acknowledge;
  }

  get name(): string {
    return this.#queue.name;
  }

  get capacity(): number {
    return this.#queue.capacity;
  }

  /** Queues and (if idle) dispatches; returns false, queuing nothing, when the queue is full. */
  offer(item: ReceivedMessage<Origin>): boolean {
    if (this.#queue.full) return false;
    this.#queue.push(item);
    if (!this.#dispatching) this.#drain();
    return true;
  }

  /** Drops what waits (its connection is gone; the broker redelivers what was not acknowledged). */
  clear(): void {
    this.#queue.drain();
  }

  #drain(): void {
    this.#dispatching = true;
    for (;;) {
      const item = this.#queue.shift();
      if (!item) break;
      const pending = this.#subscriptions.dispatch(item.message, this.#onHandlerError);
      if (pending) {
        void pending.then(() => {
          this.#acknowledge(item);
          this.#drain();
        });
        return;
      }
      this.#acknowledge(item);
    }
    this.#dispatching = false;
  }
}
