import { describe, expect, it } from 'vitest';
import { ChunkQueue } from '../../modules/util/chunk-queue.js';

describe('ChunkQueue', () => {
  it('hands chunks out in order, at most maxBytes at a time, as views of what was pushed', async () => {
    const queue = new ChunkQueue();
    const first = Uint8Array.of(1, 2, 3, 4, 5);
    queue.push(first);
    queue.push(Uint8Array.of(6));
    expect(queue.queuedBytes).toBe(6);
    const piece = (await queue.read(2))!;
    expect(piece).toEqual(Uint8Array.of(1, 2));
    expect(piece.buffer).toBe(first.buffer);
    expect(await queue.read(10)).toEqual(Uint8Array.of(3, 4, 5));
    expect(await queue.read(10)).toEqual(Uint8Array.of(6));
    expect(queue.queuedBytes).toBe(0);
  });

  it('waits for a push, tells the producer when bytes were taken, and ends after the queued bytes', async () => {
    const queue = new ChunkQueue();
    let taken = 0;
    queue.onTaken = () => taken++;
    const pending = queue.read(4);
    queue.push(Uint8Array.of(9, 9));
    expect(await pending).toEqual(Uint8Array.of(9, 9));
    expect(taken).toBe(1);
    queue.push(Uint8Array.of(7));
    queue.end(new Error('dropped'));
    queue.end();
    expect(await queue.read(4)).toEqual(Uint8Array.of(7));
    await expect(queue.read(4)).rejects.toThrow('dropped');
  });

  it('returns undefined at the end and after discard(), which drops what was queued', async () => {
    const ended = new ChunkQueue();
    const waiting = ended.read(1);
    ended.end();
    expect(await waiting).toBeUndefined();
    const cancelled = new ChunkQueue();
    cancelled.push(Uint8Array.of(1));
    cancelled.end(new Error('late error'));
    cancelled.discard();
    expect(await cancelled.read(1)).toBeUndefined();
    expect(cancelled.queuedBytes).toBe(0);
    await expect(cancelled.read(0)).rejects.toThrow('expected maxBytes to be a positive integer, got 0');
  });
});
