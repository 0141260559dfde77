/**
 * Lane fake of ECMA-419 `embedded:storage/flash` (modules/io/flash/esp32) for the two app partitions
 * of ./esp-bootloader.ts. As on the device, app partitions open only as "running" and "nextota"
 * (a label finds data partitions only), "r" is read-only, eraseBlock(start, end) erases [start, end).
 * NOR semantics: eraseBlock sets 0xFF, write can only clear bits (a write over unerased bytes ANDs,
 * as the chip does), and writes cut by ./power-loss.ts leave a prefix written.
 */
import { device } from './esp-bootloader.js';
import { power } from './power-loss.js';


function bytesOf(buffer: ArrayBuffer | ArrayBufferView): Uint8Array {
  return buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

class Flash {
  readonly #index: number;
  readonly #writable: boolean;
  #closed = false;

  constructor(index: number, writable: boolean) {
    this.#index = index;
    this.#writable = writable;
  }

  get #bytes(): Uint8Array {
    if (this.#closed) throw new Error('closed');
    return device.bootloader.partitions[this.#index]!;
  }

  status() {
    const size = device.bootloader.partitionSize;
    const blockLength = device.bootloader.blockLength;
    return { size, blockLength, blocks: size / blockLength, writeAlign: 1, eraseValue: 0xff };
  }

  eraseBlock(start: number, end = start + 1): void {
    if (!this.#writable) throw new Error('read-only');
    const { blockLength, blocks } = this.status();
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > blocks || start >= end) throw new RangeError('invalid block range');
    for (let block = start; block < end; block++) {
      power.beforeWrite(`erase block ${block}`);
      this.#bytes.fill(0xff, block * blockLength, (block + 1) * blockLength);
    }
  }

  read(byteLength: number, byteOffset: number): ArrayBuffer {
    if (byteOffset < 0 || byteOffset + byteLength > this.status().size) throw new RangeError('read out of range');
    return this.#bytes.slice(byteOffset, byteOffset + byteLength).buffer;
  }

  write(buffer: ArrayBuffer | ArrayBufferView, byteOffset: number): void {
    if (!this.#writable) throw new Error('read-only');
    const data = bytesOf(buffer);
    if (byteOffset < 0 || byteOffset + data.length > this.status().size) throw new RangeError('write out of range');
    power.beforeWrite(`flash write ${data.length} B at ${byteOffset}`);
    const target = this.#bytes;
    for (let i = 0; i < data.length; i++) target[byteOffset + i]! &= data[i]!;
  }

  close(): void {
    this.#closed = true;
  }
}

const FlashStorage = {
  open({ path, mode = 'r+' }: { path: string; mode?: 'r' | 'r+' }): Flash {
    if (mode !== 'r' && mode !== 'r+') throw new Error('invalid mode');
    let index: number;
    if (path === 'running') index = device.bootloader.running;
    else if (path === 'nextota') index = 1 - device.bootloader.running;
    else throw new Error("can't find partition"); // no data partition of that label in this model
    return new Flash(index, mode === 'r+');
  },
  *[Symbol.iterator](): IterableIterator<string> {
    yield* ['nvs', 'otadata', 'phy_init', 'ota_0', 'ota_1'];
  },
};

export default FlashStorage;
