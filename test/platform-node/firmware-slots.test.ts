import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BootStateError, FlashWriteError, NodeFirmwareSlots } from '../../platform/node/index.js';

let dir: string;
const SMALL = { slotSize: 64 * 1024, blockSize: 4096 };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mi-slots-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('NodeFirmwareSlots flash semantics', () => {
  for (const durability of ['process', 'power'] as const) {
    it(`reads a fresh slot as erased (0xFF) and writes only on erased bytes (durability ${durability})`, async () => {
      const slots = new NodeFirmwareSlots(dir, { ...SMALL, durability });
      expect(await slots.read('B', 1000, 8)).toEqual(new Uint8Array(8).fill(0xff));
      await slots.write('B', 5000, Uint8Array.of(1, 2, 3));
      expect(await slots.read('B', 4999, 5)).toEqual(Uint8Array.of(0xff, 1, 2, 3, 0xff));
      // The gap before the first write must read erased, not zero.
      expect(await slots.read('B', 0, 16)).toEqual(new Uint8Array(16).fill(0xff));
      await expect(slots.write('B', 5002, Uint8Array.of(9))).rejects.toThrow(FlashWriteError);
      await expect(slots.write('B', 5002, Uint8Array.of(9))).rejects.toThrow('flash write to slot B at offset 5002 hits bytes that are not erased');
      // Slot A is untouched; writing it and then B again (process mode switches its open file) keeps both right.
      expect(await slots.read('A', 5000, 3)).toEqual(new Uint8Array(3).fill(0xff));
      await slots.write('A', 0, Uint8Array.of(7));
      await slots.write('B', 5003, Uint8Array.of(4));
      await expect(slots.write('A', 0, Uint8Array.of(8))).rejects.toThrow('flash write to slot A at offset 0');
      expect(await slots.read('B', 5000, 4)).toEqual(Uint8Array.of(1, 2, 3, 4));
      expect(await new NodeFirmwareSlots(dir, SMALL).read('A', 0, 2)).toEqual(Uint8Array.of(7, 0xff));
    });

    it(`erases whole blocks only, after which writing works again (durability ${durability})`, async () => {
      const slots = new NodeFirmwareSlots(dir, { ...SMALL, durability });
      const image = new Uint8Array(10_000).map((_, i) => i & 0xff);
      await slots.write('A', 0, image);
      await expect(slots.erase('A', 100, 4096)).rejects.toThrow(/multiples of 4096/);
      await slots.erase('A', 4096, 4096);
      const after = await slots.read('A', 0, 10_000);
      expect(after.subarray(0, 4096)).toEqual(image.subarray(0, 4096));
      expect(after.subarray(4096, 8192)).toEqual(new Uint8Array(4096).fill(0xff));
      expect(after.subarray(8192)).toEqual(image.subarray(8192));
      await slots.write('A', 4096, image.subarray(4096, 8192));
      expect(await slots.read('A', 0, 10_000)).toEqual(image);
      // Erasing the whole slot.
      await slots.erase('A', 0, SMALL.slotSize);
      expect(await slots.read('A', 0, 10_000)).toEqual(new Uint8Array(10_000).fill(0xff));
    });
  }

  it('refuses ranges outside the slot and unknown slots', async () => {
    const slots = new NodeFirmwareSlots(dir, SMALL);
    await expect(slots.read('A', SMALL.slotSize - 2, 4)).rejects.toThrow(/within the 65536-byte slot/);
    await expect(slots.write('C' as 'A', 0, Uint8Array.of(1))).rejects.toThrow(/expected slot "A" or "B"/);
  });

  it('keeps data across instances (files) and writes its files 0600', async () => {
    await new NodeFirmwareSlots(dir, SMALL).write('B', 0, Uint8Array.of(7, 7));
    expect(await new NodeFirmwareSlots(dir, SMALL).read('B', 0, 2)).toEqual(Uint8Array.of(7, 7));
    expect(statSync(join(dir, 'slot-B.bin')).mode & 0o777).toBe(0o600);
  });
});

describe('NodeFirmwareSlots boot state (the Node boot loader)', () => {
  it('starts on A with nothing pending', async () => {
    const slots = new NodeFirmwareSlots(dir, SMALL);
    expect(slots.boot()).toEqual({ running: 'A', pendingVerify: false, previous: undefined, nextBoot: 'A' });
    expect(slots.boot()).toEqual({ running: 'A', pendingVerify: false, previous: undefined, nextBoot: 'A' });
  });

  it('switches to the new slot pending verification, and keeps it once marked valid', async () => {
    let slots = new NodeFirmwareSlots(dir, SMALL);
    slots.boot();
    await slots.setNextBoot('B');
    expect(await slots.bootState()).toMatchObject({ running: 'A', nextBoot: 'B', pendingVerify: false });
    slots = new NodeFirmwareSlots(dir, SMALL); // reboot
    expect(slots.boot()).toEqual({ running: 'B', pendingVerify: true, previous: 'A', nextBoot: 'B' });
    await slots.markValid();
    expect(await slots.bootState()).toEqual({ running: 'B', pendingVerify: false, previous: 'A', nextBoot: 'B' });
    slots = new NodeFirmwareSlots(dir, SMALL); // reboot
    expect(slots.boot()).toEqual({ running: 'B', pendingVerify: false, previous: 'A', nextBoot: 'B' });
  });

  it('rolls back when the new image reboots (or crashes) before markValid', async () => {
    const slots = new NodeFirmwareSlots(dir, SMALL);
    slots.boot();
    await slots.setNextBoot('B');
    expect(slots.boot().running).toBe('B'); // first boot of the new image, pending
    // No markValid: the next boot goes back to A.
    expect(slots.boot()).toEqual({ running: 'A', pendingVerify: false, previous: 'B', nextBoot: 'A' });
    expect(slots.boot()).toEqual({ running: 'A', pendingVerify: false, previous: 'B', nextBoot: 'A' });
  });

  it('rolls back on request, and refuses rollback when nothing is pending', async () => {
    const slots = new NodeFirmwareSlots(dir, SMALL);
    slots.boot();
    await expect(slots.rollback()).rejects.toThrow(BootStateError);
    await slots.setNextBoot('B');
    slots.boot();
    await slots.rollback();
    expect(await slots.bootState()).toMatchObject({ running: 'B', pendingVerify: true, nextBoot: 'A' });
    expect(slots.boot()).toEqual({ running: 'A', pendingVerify: false, previous: 'B', nextBoot: 'A' });
  });

  it('refuses to choose another slot while the running image is unverified', async () => {
    const slots = new NodeFirmwareSlots(dir, SMALL);
    slots.boot();
    await slots.setNextBoot('B');
    slots.boot();
    await expect(slots.setNextBoot('A')).rejects.toThrow(/pending verification/);
  });

  it('setNextBoot(running) cancels a chosen switch', async () => {
    const slots = new NodeFirmwareSlots(dir, SMALL);
    slots.boot();
    await slots.setNextBoot('B');
    await slots.setNextBoot('A');
    expect(slots.boot()).toEqual({ running: 'A', pendingVerify: false, previous: undefined, nextBoot: 'A' });
  });
});
