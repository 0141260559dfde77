import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../modules/util/bounded-queue.js';
import { QueueFullError } from '../../modules/util/errors.js';

describe('BoundedQueue', () => {
  it('is FIFO and refuses a push when full, naming the queue and capacity', () => {
    const q = new BoundedQueue<number>('commands', 2);
    q.push(1);
    q.push(2);
    expect(() => q.push(3)).toThrowError(QueueFullError);
    expect(() => q.push(3)).toThrowError('commands queue is full (capacity 2)');
    expect(q.shift()).toBe(1);
    q.push(3);
    expect([...q]).toEqual([2, 3]);
    expect(q.drain()).toEqual([2, 3]);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('drops the oldest with pushDroppingOldest', () => {
    const q = new BoundedQueue<string>('events', 2);
    expect(q.pushDroppingOldest('a')).toBeUndefined();
    q.pushDroppingOldest('b');
    expect(q.pushDroppingOldest('c')).toBe('a');
    expect(q.peek()).toBe('b');
    expect([...q]).toEqual(['b', 'c']);
  });

  it('keeps order across many interleaved pushes and shifts (compaction)', () => {
    const q = new BoundedQueue<number>('big', 1000);
    const expected: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 37; i++) if (!q.full) { q.push(next); expected.push(next++); }
      for (let i = 0; i < 29; i++) expect(q.shift()).toBe(expected.shift());
      expect(q.length).toBe(expected.length);
    }
    expect([...q]).toEqual(expected);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue('x', 0)).toThrowError('expected x capacity to be a positive integer, got 0');
  });
});
