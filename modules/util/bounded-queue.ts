import { QueueFullError } from './errors.js';

/** A FIFO with a fixed capacity: `push` on a full queue throws QueueFullError, it never grows. */
export class BoundedQueue<T> {
  readonly name: string;
  readonly capacity: number;
  #items: T[] = [];

  constructor(name: string, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`expected ${name} capacity to be a positive integer, got ${capacity}`);
    }
    this.name = name;
    this.capacity = capacity;
  }

  get length(): number {
    return this.#items.length;
  }

  get full(): boolean {
    return this.#items.length >= this.capacity;
  }

  push(item: T): void {
    if (this.full) throw new QueueFullError(this.name, this.capacity);
    this.#items.push(item);
  }

  /** Pushes, dropping the oldest item when full; returns the dropped item, if any. */
  pushDroppingOldest(item: T): T | undefined {
    const dropped = this.full ? this.#items.shift() : undefined;
    this.#items.push(item);
    return dropped;
  }

  shift(): T | undefined {
    return this.#items.shift();
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.#items[Symbol.iterator]();
  }
}
