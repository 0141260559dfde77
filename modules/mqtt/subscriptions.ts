/**
 * The subscription manager: which handlers want which filters. Many handlers may share a filter; a
 * message is offered to every handler of every matching filter, and one handler's exception (or
 * rejected promise) is reported and never reaches another handler or the agent.
 */
import { topicMatches } from './topic-match.js';
import type { InboundMessage, MessageHandler, QoS } from './types.js';

export interface Subscription {
  readonly filter: string;
  qos: QoS;
  /** True once the broker granted it (SUBACK) on the current session. */
  active: boolean;
  handlers: MessageHandler[];
}

export type HandlerErrorReporter = (filter: string, error: unknown) => void;

export class SubscriptionRegistry {
  #byFilter = new Map<string, Subscription>();

  get(filter: string): Subscription | undefined {
    return this.#byFilter.get(filter);
  }

  get size(): number {
    return this.#byFilter.size;
  }

  /** Adds `handler` to `filter`, creating the (inactive) subscription if needed. */
  add(filter: string, qos: QoS, handler: MessageHandler): Subscription {
    let subscription = this.#byFilter.get(filter);
    if (!subscription) {
      subscription = { filter, qos, active: false, handlers: [] };
      this.#byFilter.set(filter, subscription);
    }
    subscription.handlers.push(handler);
    return subscription;
  }

  /** Removes one handler (or all); returns true when the filter has no handler left and was removed. */
  removeHandler(filter: string, handler?: MessageHandler): boolean {
    const subscription = this.#byFilter.get(filter);
    if (!subscription) return false;
    if (handler) {
      const i = subscription.handlers.indexOf(handler);
      if (i >= 0) subscription.handlers.splice(i, 1);
    } else {
      subscription.handlers.length = 0;
    }
    if (subscription.handlers.length > 0) return false;
    this.#byFilter.delete(filter);
    return true;
  }

  delete(filter: string): void {
    this.#byFilter.delete(filter);
  }

  /** Subscriptions the broker has granted; resent when a reconnect finds no session. */
  active(): Subscription[] {
    const out: Subscription[] = [];
    for (const s of this.#byFilter.values()) if (s.active) out.push(s);
    return out;
  }

  deactivateAll(): void {
    for (const s of this.#byFilter.values()) s.active = false;
  }

  /**
   * Calls every matching handler. Returns a promise when some handler is asynchronous (settles when
   * all of them have), undefined when all handlers finished synchronously. Never throws or rejects.
   */
  dispatch(message: InboundMessage, onError: HandlerErrorReporter): Promise<void> | undefined {
    let pending: Promise<void>[] | undefined;
    for (const subscription of this.#byFilter.values()) {
      if (!topicMatches(subscription.filter, message.topic)) continue;
      // A copy: a handler may unsubscribe (itself or another) while we iterate.
      const handlers = subscription.handlers.length === 1 ? subscription.handlers : subscription.handlers.slice();
      for (const handler of handlers) {
        try {
          const result = handler(message);
          if (result && typeof (result as Promise<void>).then === 'function') {
            (pending ??= []).push(
              (result as Promise<void>).then(undefined, (error: unknown) => onError(subscription.filter, error)),
            );
          }
        } catch (error) {
          onError(subscription.filter, error);
        }
      }
    }
    if (!pending) return undefined;
    return Promise.all(pending).then(() => undefined);
  }
}
