/**
 * Unsolicited reports (device-protocol.md 4.3). Property changes coalesce per property within a
 * window (last value wins) into one state message; events are never coalesced, wait in a bounded
 * FIFO (oldest dropped, counted and logged, when full) and go out in order. While offline, state keeps
 * the latest value per property and events keep queueing; everything pending goes out on reconnect.
 *
 * Every entry point is synchronous and safe from any callback or timer, including while a command is
 * being handled: they only touch in-memory tables and schedule a flush.
 */
import type { Clock, Logger, Timers, TimerHandle } from '../../platform/pal/index.js';
import type { AttributeInfo, ClusterMetadata, EventInfo } from './metadata.js';
import { BoundedQueue } from '../util/bounded-queue.js';
import type { EventNumbers } from './event-numbers.js';

type Json = Record<string, unknown>;

export interface ReporterOptions {
  timers: Timers;
  clock: Clock;
  log: Logger;
  eventNumbers: EventNumbers;
  /** Coalescing window for property reports, ms. */
  windowMs: number;
  eventQueueSize: number;
  /** Largest message, in bytes; a flush splits its content to stay under it. */
  maxMessageBytes: number;
  nodeId: string;
  managedThingId(): string | undefined;
  online(): boolean;
  /** Sends one message; rejects when it could not be handed to the connection. */
  publish(kind: 'state' | 'events', message: Json): Promise<void>;
  /** UTF-8 size of a message as it will be sent. */
  encodedSize(message: Json): number;
}

interface PendingProperty {
  value: unknown;
  changedAt: number;
  /** Bumped on every change, so a failed publish never overwrites a newer value when it re-queues. */
  seq: number;
}

interface PendingCapability {
  endpointId: string;
  cluster: ClusterMetadata;
  properties: Map<string, PendingProperty>;
}

interface PendingEvent {
  endpointId: string;
  cluster: ClusterMetadata;
  event: EventInfo;
  eventNumber: number;
  timestamp: number;
  parameters: Json;
}

export interface ReporterCounters {
  stateMessages: number;
  eventMessages: number;
  eventsPublished: number;
  eventsDropped: number;
  publishFailures: number;
  oversizedDropped: number;
}

export class Reporter {
  #o: ReporterOptions;
  #state = new Map<string, PendingCapability>();
  #events: BoundedQueue<PendingEvent>;
  #timer: TimerHandle | undefined;
  #flushing = false;
  #again = false;
  #seq = 0;
  #closed = false;
  readonly counters: ReporterCounters = { stateMessages: 0, eventMessages: 0, eventsPublished: 0, eventsDropped: 0, publishFailures: 0, oversizedDropped: 0 };

  constructor(options: ReporterOptions) {
    this.#o = options;
    this.#events = new BoundedQueue('event', options.eventQueueSize);
  }

  get pendingEvents(): number {
    return this.#events.length;
  }

  get pendingProperties(): number {
    let n = 0;
    for (const c of this.#state.values()) n += c.properties.size;
    return n;
  }

  /** Records a property's new wire value; publishes now if `immediate`, else within the window. */
  reportProperty(endpointId: string, cluster: ClusterMetadata, attribute: AttributeInfo, wireValue: unknown, immediate: boolean): void {
    const key = endpointId + '\u0000' + cluster.id;
    let pending = this.#state.get(key);
    if (!pending) {
      pending = { endpointId, cluster, properties: new Map() };
      this.#state.set(key, pending);
    }
    // Delete first so the property moves to the end: the message lists changes in the order they last happened.
    pending.properties.delete(attribute.property);
    pending.properties.set(attribute.property, { value: wireValue, changedAt: this.#o.clock.now(), seq: ++this.#seq });
    this.#schedule(immediate);
  }

  /** Queues an event (numbered now, in call order); publishes now if `immediate`. */
  emitEvent(endpointId: string, cluster: ClusterMetadata, event: EventInfo, wireFields: Json, immediate: boolean): number {
    const eventNumber = this.#o.eventNumbers.next();
    const dropped = this.#events.pushDroppingOldest({ endpointId, cluster, event, eventNumber, timestamp: this.#o.clock.now(), parameters: wireFields });
    if (dropped) this.#dropped(dropped, 'event queue full');
    this.#schedule(immediate);
    return eventNumber;
  }

  #dropped(event: PendingEvent, why: string): void {
    this.counters.eventsDropped++;
    this.#o.log.log('warn', 'datamodel', `dropped event ${event.cluster.name}.${event.event.name} #${event.eventNumber}: ${why}`, {
      dropped: this.counters.eventsDropped,
    });
  }

  #schedule(immediate: boolean): void {
    if (this.#closed) return;
    if (immediate) {
      if (this.#timer !== undefined) {
        this.#o.timers.clear(this.#timer);
        this.#timer = undefined;
      }
      this.flush();
      return;
    }
    if (this.#timer === undefined) {
      this.#timer = this.#o.timers.set(() => {
        this.#timer = undefined;
        this.flush();
      }, this.#o.windowMs);
    }
  }

  /** Publishes everything pending, if online. Called by the window timer, `immediate`, and on reconnect. */
  flush(): void {
    if (this.#closed) return;
    if (this.#flushing) {
      this.#again = true;
      return;
    }
    if (!this.#o.online()) return;
    this.#flushing = true;
    void this.#flushLoop();
  }

  async #flushLoop(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#flushState();
        await this.#flushEvents();
      } while (this.#again && this.#o.online() && !this.#closed);
    } finally {
      this.#flushing = false;
    }
  }

  #envelope(capabilitiesByEndpoint: Map<string, Json[]>, hasState: boolean): Json {
    const payload: Json = {};
    if (hasState) payload.hasState = 'true';
    payload.nodeId = this.#o.nodeId;
    const managedThingId = this.#o.managedThingId();
    if (managedThingId !== undefined) payload.managedThingId = managedThingId;
    payload.endpoints = [...capabilitiesByEndpoint].map(([id, capabilities]) => ({ id, capabilities }));
    return { payload };
  }

  /**
   * Splits groups into messages no larger than the limit (a single group too large is dropped and
   * logged) and sends them in order. On a failed publish, that batch and every later one go to
   * `onFailed` (to be kept for the next flush). Returns how many groups went out.
   */
  async #publishGroups<G>(kind: 'state' | 'events', groups: G[], build: (groups: G[]) => Json, onFailed: (groups: G[]) => void): Promise<number> {
    const max = this.#o.maxMessageBytes;
    let batches: G[][] = [groups];
    if (this.#o.encodedSize(build(groups)) > max) {
      batches = [];
      let batch: G[] = [];
      for (const g of groups) {
        if (this.#o.encodedSize(build([g])) > max) {
          this.counters.oversizedDropped++;
          this.#o.log.log('error', 'datamodel', `dropped a ${kind} entry larger than ${max} bytes`);
          continue;
        }
        if (batch.length && this.#o.encodedSize(build([...batch, g])) > max) {
          batches.push(batch);
          batch = [];
        }
        batch.push(g);
      }
      if (batch.length) batches.push(batch);
    }
    let sent = 0;
    for (let i = 0; i < batches.length; i++) {
      try {
        await this.#o.publish(kind, build(batches[i]!));
        sent += batches[i]!.length;
        if (kind === 'state') this.counters.stateMessages++;
        else this.counters.eventMessages++;
      } catch (error) {
        this.counters.publishFailures++;
        this.#o.log.log('warn', 'datamodel', `${kind} publish failed, kept for the next flush: ${(error as Error).message}`);
        onFailed(batches.slice(i).flat());
        break;
      }
    }
    return sent;
  }

  async #flushState(): Promise<void> {
    if (this.#state.size === 0) return;
    const taken = [...this.#state.values()];
    this.#state.clear();
    const build = (groups: PendingCapability[]): Json => {
      const byEndpoint = new Map<string, Json[]>();
      for (const g of groups) {
        let caps = byEndpoint.get(g.endpointId);
        if (!caps) byEndpoint.set(g.endpointId, (caps = []));
        caps.push({
          id: g.cluster.capabilityId,
          name: g.cluster.name,
          version: '1.0',
          properties: [...g.properties].map(([name, p]) => ({ name, value: p.value, lastChangedAt: new Date(p.changedAt).toISOString() })),
        });
      }
      return this.#envelope(byEndpoint, true);
    };
    const requeue = (groups: PendingCapability[]) => {
      // Put back what failed unless a newer value arrived meanwhile (last value wins).
      for (const g of groups) {
        const key = g.endpointId + '\u0000' + g.cluster.id;
        let now = this.#state.get(key);
        if (!now) this.#state.set(key, (now = { endpointId: g.endpointId, cluster: g.cluster, properties: new Map() }));
        for (const [name, p] of g.properties) {
          const newer = now.properties.get(name);
          if (!newer || newer.seq < p.seq) now.properties.set(name, p);
        }
      }
    };
    await this.#publishGroups('state', taken, build, requeue);
  }

  async #flushEvents(): Promise<void> {
    // Publish only events whose numbers are durably reserved (see event-numbers.ts).
    const ready: PendingEvent[] = [];
    while (this.#events.length && this.#o.eventNumbers.durable(this.#events.peek()!.eventNumber)) ready.push(this.#events.shift()!);
    if (ready.length === 0) return;
    const build = (events: PendingEvent[]): Json => {
      const byEndpoint = new Map<string, Json[]>();
      const byCapability = new Map<string, Json>();
      for (const e of events) {
        const key = e.endpointId + '\u0000' + e.cluster.id;
        let cap = byCapability.get(key);
        if (!cap) {
          cap = { id: e.cluster.capabilityId, name: e.cluster.name, version: '1.0', events: [] as Json[] };
          byCapability.set(key, cap);
          let caps = byEndpoint.get(e.endpointId);
          if (!caps) byEndpoint.set(e.endpointId, (caps = []));
          caps.push(cap);
        }
        (cap.events as Json[]).push({
          name: e.event.name,
          eventNumber: e.eventNumber,
          priority: e.event.priority,
          timestamp: new Date(e.timestamp).toISOString(),
          parameters: e.parameters,
        });
      }
      return this.#envelope(byEndpoint, false);
    };
    const requeue = (failed: PendingEvent[]) => {
      // Back to the front, in order, ahead of anything queued meanwhile; the bound still holds.
      const later = this.#events.drain();
      for (const e of [...failed, ...later]) {
        const dropped = this.#events.pushDroppingOldest(e);
        if (dropped) this.#dropped(dropped, 'event queue full');
      }
    };
    this.counters.eventsPublished += await this.#publishGroups('events', ready, build, requeue);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#o.timers.clear(this.#timer);
    this.#timer = undefined;
  }
}
