import { QueueFullError } from './errors.js';

/**
 * A FIFO with a fixed capacity: `push` on a full queue throws QueueFullError, it never grows.
 * `shift` is O(1): items before `#head` are consumed and compacted away once they are half the array.
 */
export class BoundedQueue<T> {
  readonly name: string;
  readonly capacity: number;
  #items: (T | undefined)[] = [];
  #head = 0;

  constructor(name: string, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`expected ${name} capacity to be a positive integer, got ${capacity}`);
    }
    this.name = name;
    this.capacity = capacity;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  push(item: T): void {
    if (this.full) throw new QueueFullError(this.name, this.capacity);
    this.#items.push(item);
  }

  /** Pushes, dropping the oldest item when full; returns the dropped item, if any. */
  pushDroppingOldest(item: T): T | undefined {
    const dropped = this.full ? this.shift() : undefined;
    this.#items.push(item);
    return dropped;
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined; // let the consumed item be collected
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 32 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const items = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return items;
  }

  [Symbol.iterator](): Iterator<T> {
    return (this.#items.slice(this.#head) as T[])[Symbol.iterator]();
  }
}
