/**
 * Packet identifiers for QoS 1 PUBLISH, SUBSCRIBE and UNSUBSCRIBE: 1..65535, wrapping, never one that is
 * still in flight (MQTT 3.1.1 §2.3.1).
 */
import { QueueFullError } from '../util/errors.js';

export class PacketIdAllocator {
  #next = 1;

  /** Returns an id for which `inUse(id)` is false. */
  allocate(inUse: (id: number) => boolean, inUseCount: number): number {
    if (inUseCount >= 65535) throw new QueueFullError('MQTT packet id', 65535);
    for (;;) {
      const id = this.#next;
      this.#next = id === 65535 ? 1 : id + 1;
      if (!inUse(id)) return id;
    }
  }
}
