import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { BootState, FirmwareSlots, SlotName } from '../pal/index.js';
import { ArgumentError, SdkError } from '../../modules/util/errors.js';
import { writeFileAtomicSync } from './atomic-file.js';

/** A write to flash bytes that are not erased (NOR flash can only clear bits after an erase). */
export class FlashWriteError extends SdkError {
  constructor(readonly slot: SlotName, readonly offset: number) {
    super(`flash write to slot ${slot} at offset ${offset} hits bytes that are not erased; erase the block first`);
  }
}

/** A boot-state change that the current state does not allow. */
export class BootStateError extends SdkError {}

export interface NodeFirmwareSlotsOptions {
  /** Slot size in bytes (default 4 MiB, a multiple of blockSize). */
  slotSize?: number;
  /** Erase block size (default 4096, ESP32 flash sectors). */
  blockSize?: number;
  /**
   * What a completed `write`/`erase` survives (modules/ota/README.md, "Durability on Node"):
   * - `process` (default): the bytes are in the kernel's page cache when the call resolves, so they
   *   survive the device process dying at any instant (crash, SIGKILL, `reboot()`), which is how the
   *   Node host models a power cut; a host power loss may lose them. `setNextBoot` fsyncs the slot
   *   first, so an image is on disk before the boot state can point at it.
   * - `power`: every write and erase is fsynced before it resolves (survives a host power loss too).
   */
  durability?: SlotDurability;
}

export type SlotDurability = 'process' | 'power';

/** What the boot-state file holds. */
interface BootRecord {
  running: SlotName;
  previous: SlotName | null;
  nextBoot: SlotName;
  pendingVerify: boolean;
  /** Boots so far; handy in logs and tests. */
  bootCount: number;
}

const ERASED = 0xff;
const SLOTS: readonly SlotName[] = ['A', 'B'];

/**
 * A/B firmware slots as two files (`slot-A.bin`, `slot-B.bin`; bytes past a file's end read as erased
 * 0xFF, so a fresh slot costs nothing on disk) plus
 * `boot-state.json`, replaced atomically on every change. `boot()` is the boot loader: the Node
 * device host calls it once at process start, before the SDK runs.
 */
export class NodeFirmwareSlots implements FirmwareSlots {
  readonly blockSize: number;
  readonly slotSize: number;
  readonly directory: string;
  readonly durability: SlotDurability;
  #bootStatePath: string;
  /**
   * `process` durability: a slot file stays open from its first write or erase until the image is
   * handed to the boot state (or the other slot is written), instead of an open/close per 64 KiB.
   */
  readonly #open = new Map<SlotName, number>();

  constructor(directory: string, options: NodeFirmwareSlotsOptions = {}) {
    this.directory = directory;
    this.blockSize = options.blockSize ?? 4096;
    this.slotSize = options.slotSize ?? 4 * 1024 * 1024;
    this.durability = options.durability ?? 'process';
    if (this.durability !== 'process' && this.durability !== 'power') {
      throw new ArgumentError(`expected durability "process" or "power", got ${JSON.stringify(this.durability)}`);
    }
    if (this.slotSize % this.blockSize !== 0) {
      throw new ArgumentError(`expected slotSize (${this.slotSize}) to be a multiple of blockSize (${this.blockSize})`);
    }
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    this.#bootStatePath = join(directory, 'boot-state.json');
    for (const slot of SLOTS) this.#ensureSlotFile(slot);
    openFiles.register(this, this.#open);
  }

  async erase(slot: SlotName, offset: number, length: number): Promise<void> {
    this.#checkRange(slot, offset, length);
    if (offset % this.blockSize !== 0 || length % this.blockSize !== 0) {
      throw new ArgumentError(`expected erase offset and length to be multiples of ${this.blockSize}, got ${offset}, ${length}`);
    }
    if (this.durability === 'process') return this.#eraseInPageCache(slot, offset, length);
    const file = await open(this.#slotPath(slot), 'r+');
    try {
      const { size } = await file.stat();
      if (offset + length >= size) {
        // Bytes past the end of the file read as erased, so erasing the tail is a truncation.
        if (offset < size) await file.truncate(offset);
      } else {
        await fillErased(file, offset, length);
      }
      await file.sync();
    } finally {
      await file.close();
    }
  }

  async write(slot: SlotName, offset: number, data: Uint8Array): Promise<void> {
    this.#checkRange(slot, offset, data.byteLength);
    // Page-cache only: synchronous calls take microseconds, five thread-pool round trips take a millisecond.
    if (this.durability === 'process') return this.#writeToPageCache(slot, offset, data);
    const file = await open(this.#slotPath(slot), 'r+');
    try {
      const current = await readErased(file, offset, data.byteLength);
      for (let i = 0; i < current.length; i++) {
        if (current[i] !== ERASED) throw new FlashWriteError(slot, offset + i);
      }
      const { size } = await file.stat();
      // Never leave a hole of zeros between the end of the file and the write.
      if (offset > size) await fillErased(file, size, offset - size);
      await file.write(data, 0, data.byteLength, offset);
      await file.sync();
    } finally {
      await file.close();
    }
  }

  #eraseInPageCache(slot: SlotName, offset: number, length: number): void {
    const fd = this.#fd(slot);
    const { size } = fstatSync(fd);
    if (offset + length >= size) {
      if (offset < size) ftruncateSync(fd, offset);
      return;
    }
    fillErasedSync(fd, offset, length);
  }

  #writeToPageCache(slot: SlotName, offset: number, data: Uint8Array): void {
    const fd = this.#fd(slot);
    const { size } = fstatSync(fd);
    // Bytes past the end of the file are erased; only what lies before it needs reading to check.
    const overlap = Math.min(data.byteLength, Math.max(0, size - offset));
    if (overlap > 0) {
      const current = new Uint8Array(overlap);
      for (let done = 0; done < overlap; ) {
        const n = readSync(fd, current, done, overlap - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      for (let i = 0; i < overlap; i++) {
        if (current[i] !== ERASED) throw new FlashWriteError(slot, offset + i);
      }
    }
    // Never leave a hole of zeros between the end of the file and the write.
    if (offset > size) fillErasedSync(fd, size, offset - size);
    writeAll(fd, data, offset);
  }

  /** The open slot file (`process` durability); opening one slot closes the other. */
  #fd(slot: SlotName): number {
    let fd = this.#open.get(slot);
    if (fd === undefined) {
      this.#closeFiles();
      fd = openSync(this.#slotPath(slot), 'r+');
      this.#open.set(slot, fd);
    }
    return fd;
  }

  #closeFiles(): void {
    for (const fd of this.#open.values()) closeSync(fd);
    this.#open.clear();
  }

  async read(slot: SlotName, offset: number, length: number): Promise<Uint8Array> {
    this.#checkRange(slot, offset, length);
    const file = await open(this.#slotPath(slot), 'r');
    try {
      return await readErased(file, offset, length);
    } finally {
      await file.close();
    }
  }

  async bootState(): Promise<BootState> {
    return toBootState(this.#readRecord());
  }

  async setNextBoot(slot: SlotName): Promise<void> {
    checkSlot(slot);
    const record = this.#readRecord();
    if (record.pendingVerify) {
      throw new BootStateError(`slot ${record.running} is pending verification; mark it valid or roll back before choosing slot ${slot}`);
    }
    // The image must be on disk before the boot state (fsynced) can point at it, whatever the durability.
    this.#closeFiles();
    await this.#syncSlot(slot);
    record.nextBoot = slot;
    this.#writeRecord(record);
  }

  async #syncSlot(slot: SlotName): Promise<void> {
    const file = await open(this.#slotPath(slot), 'r+');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
  }

  async markValid(): Promise<void> {
    const record = this.#readRecord();
    if (!record.pendingVerify) return;
    record.pendingVerify = false;
    record.nextBoot = record.running;
    this.#writeRecord(record);
  }

  async rollback(): Promise<void> {
    const record = this.#readRecord();
    if (!record.pendingVerify || record.previous === null) {
      throw new BootStateError(`slot ${record.running} is not pending verification; there is nothing to roll back`);
    }
    // Stays pendingVerify: boot() sees an unverified image and boots the previous slot.
    record.nextBoot = record.previous;
    this.#writeRecord(record);
  }

  /**
   * The boot loader, run once at process start:
   * - the running slot was pending verification at the previous boot and was not marked valid
   *   (a crash, a reboot, or rollback()) → boot the previous slot again, no longer pending;
   * - else a different next-boot slot was chosen → switch to it, pending verification;
   * - else keep booting the running slot.
   * Returns the state the device now runs in.
   */
  boot(): BootState {
    const record = this.#readRecord();
    if (record.pendingVerify && record.previous !== null) {
      const failed = record.running;
      record.running = record.previous;
      record.previous = failed;
      record.pendingVerify = false;
    } else if (record.nextBoot !== record.running) {
      record.previous = record.running;
      record.running = record.nextBoot;
      record.pendingVerify = true;
    }
    record.nextBoot = record.running;
    record.bootCount++;
    this.#writeRecord(record);
    return toBootState(record);
  }

  #slotPath(slot: SlotName): string {
    checkSlot(slot);
    return join(this.directory, `slot-${slot}.bin`);
  }

  /** Slot files start empty: bytes past the end of a slot file read as erased (0xFF). */
  #ensureSlotFile(slot: SlotName): void {
    const path = this.#slotPath(slot);
    if (!existsSync(path)) closeSync(openSync(path, 'w', 0o600));
  }

  #checkRange(slot: SlotName, offset: number, length: number): void {
    checkSlot(slot);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.slotSize) {
      throw new ArgumentError(`expected a range within the ${this.slotSize}-byte slot, got offset ${offset}, length ${length}`);
    }
  }

  #readRecord(): BootRecord {
    if (!existsSync(this.#bootStatePath)) {
      return { running: 'A', previous: null, nextBoot: 'A', pendingVerify: false, bootCount: 0 };
    }
    return JSON.parse(readFileSync(this.#bootStatePath, 'utf8')) as BootRecord;
  }

  #writeRecord(record: BootRecord): void {
    writeFileAtomicSync(this.#bootStatePath, new TextEncoder().encode(JSON.stringify(record)), 0o600);
  }
}

/** Slot files left open by an instance that is garbage collected are closed. */
const openFiles = new FinalizationRegistry<Map<SlotName, number>>((open) => {
  for (const fd of open.values()) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
  }
});

/** Synchronous twin of fillErased, on an open file. */
function fillErasedSync(fd: number, offset: number, length: number): void {
  const chunk = new Uint8Array(Math.min(length, 256 * 1024)).fill(ERASED);
  for (let done = 0; done < length; done += chunk.length) writeAll(fd, chunk.subarray(0, Math.min(chunk.length, length - done)), offset + done);
}

function writeAll(fd: number, data: Uint8Array, offset: number): void {
  for (let done = 0; done < data.byteLength; ) done += writeSync(fd, data, done, data.byteLength - done, offset + done);
}

function checkSlot(slot: SlotName): void {
  if (slot !== 'A' && slot !== 'B') throw new ArgumentError(`expected slot "A" or "B", got ${JSON.stringify(slot)}`);
}

function toBootState(record: BootRecord): BootState {
  return {
    running: record.running,
    pendingVerify: record.pendingVerify,
    previous: record.previous ?? undefined,
    nextBoot: record.nextBoot,
  };
}

async function readErased(file: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length).fill(ERASED);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(out, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return out;
}

async function fillErased(file: FileHandle, offset: number, length: number): Promise<void> {
  const chunk = new Uint8Array(Math.min(length, 256 * 1024)).fill(ERASED);
  for (let done = 0; done < length; done += chunk.length) {
    await file.write(chunk, 0, Math.min(chunk.length, length - done), offset + done);
  }
}
