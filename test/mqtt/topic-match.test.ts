import { describe, expect, it } from 'vitest';
import { topicMatches } from '../../modules/mqtt/index.js';
import { PacketIdAllocator } from '../../modules/mqtt/packet-ids.js';

describe('topicMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a', false],
    ['+/b', '/b', true],
    ['+/+', 'x/y', true],
    ['+', 'x', true],
    ['+', 'x/y', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'ab', false],
    ['a/b/#', 'a/bc', false],
    ['a/+/#', 'a/x', true],
    ['a/+/c', 'a/x/c', true],
    ['a/+/c', 'a/x/d', false],
    ['#', 'anything/at/all', true],
    ['#', '$aws/things/t/jobs/notify', false],
    ['+/things/#', '$aws/things/t', false],
    ['$aws/things/+/jobs/#', '$aws/things/t/jobs/notify', true],
    ['$aws/#', '$aws/x', true],
    ['a/b/c', 'a/b', false],
    ['a/b', 'a/b/c', false],
  ];
  it.each(cases)('%s vs %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('PacketIdAllocator', () => {
  it('wraps from 65535 to 1, never yields 0, and skips ids still in flight', () => {
    const ids = new PacketIdAllocator();
    const inUse = new Set<number>([2, 3, 65535]);
    const got = [ids.allocate((id) => inUse.has(id), inUse.size)];
    expect(got[0]).toBe(1);
    expect(ids.allocate((id) => inUse.has(id), inUse.size)).toBe(4);
    for (let i = 5; i < 65535; i++) ids.allocate(() => false, 0);
    // Next would be 65535, which is in use: wraps to 1.
    expect(ids.allocate((id) => inUse.has(id), inUse.size)).toBe(1);
  });

  it('throws QueueFullError when all 65535 ids are in flight', () => {
    expect(() => new PacketIdAllocator().allocate(() => true, 65535)).toThrow(/packet id queue is full/);
  });
});
