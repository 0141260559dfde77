/**
 * The Node device host's boot loader half (architecture.md, "The simulator host boots like a device").
 * A Node firmware image is a header plus an ES-module bundle of the device program:
 *
 *   "MINODEFW" (8 bytes) | header length (u32 big-endian) | header JSON {"version","bundleBytes"} | bundle | padding
 *
 * At process start `bootNodeFirmware` applies the A/B boot rules (`NodeFirmwareSlots.boot()`: an
 * unverified image that did not mark itself valid rolls back), reads the image in the running slot
 * and writes its bundle to a file the host can `import()`. An empty slot (erased flash, the factory
 * state) means: run the program as built. The OTA agent writes whole images (header included) into
 * the inactive slot and verifies them before `setNextBoot`, so the loader only ever sees verified
 * images or the factory program.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BootState, FirmwareSlots, SlotName } from '../pal/index.js';
import { SdkError } from '../../modules/util/errors.js';
import { NodeFirmwareSlots, type NodeFirmwareSlotsOptions } from './firmware-slots.js';

const MAGIC = new TextEncoder().encode('MINODEFW');
const PREFIX_BYTES = MAGIC.length + 4;
const MAX_HEADER_BYTES = 4096;

export interface NodeImage {
  version: string;
  bundle: Uint8Array;
}

/** The slot holds bytes that are neither erased nor a valid image header. */
export class ImageFormatError extends SdkError {}

/** An image: header + bundle, padded with `padding` bytes (0x00) so tests can make large images. */
export function buildNodeImage(version: string, bundle: Uint8Array, padding = 0): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ version, bundleBytes: bundle.length }));
  const out = new Uint8Array(PREFIX_BYTES + header.length + bundle.length + padding);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length);
  out.set(header, PREFIX_BYTES);
  out.set(bundle, PREFIX_BYTES + header.length);
  return out;
}

function parseHeader(prefix: Uint8Array): { headerBytes: number } | undefined {
  if (prefix.every((b) => b === 0xff)) return undefined;
  for (let i = 0; i < MAGIC.length; i++) {
    if (prefix[i] !== MAGIC[i]) throw new ImageFormatError('slot does not start with a Node image header (MINODEFW)');
  }
  const headerBytes = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint32(MAGIC.length);
  if (headerBytes === 0 || headerBytes > MAX_HEADER_BYTES) throw new ImageFormatError(`image header length ${headerBytes} out of range`);
  return { headerBytes };
}

/** The image in `slot`, or undefined when the slot is erased. */
export async function readSlotImage(slots: FirmwareSlots, slot: SlotName): Promise<NodeImage | undefined> {
  const prefix = await slots.read(slot, 0, PREFIX_BYTES);
  const parsed = parseHeader(prefix);
  if (!parsed) return undefined;
  const headerJson = await slots.read(slot, PREFIX_BYTES, parsed.headerBytes);
  let header: { version?: unknown; bundleBytes?: unknown };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerJson)) as typeof header;
  } catch (error) {
    throw new ImageFormatError(`image header is not JSON: ${(error as Error).message}`);
  }
  const bundleBytes = header.bundleBytes;
  if (typeof header.version !== 'string' || !Number.isSafeInteger(bundleBytes) || (bundleBytes as number) <= 0) {
    throw new ImageFormatError(`expected an image header {version, bundleBytes}, got ${new TextDecoder().decode(headerJson)}`);
  }
  const start = PREFIX_BYTES + parsed.headerBytes;
  if (start + (bundleBytes as number) > slots.slotSize) throw new ImageFormatError(`image bundle of ${bundleBytes} bytes overruns the slot`);
  return { version: header.version, bundle: await slots.read(slot, start, bundleBytes as number) };
}

export interface BootResult {
  state: BootState;
  /** The image in the running slot; undefined: run the program as built (factory). */
  image: NodeImage | undefined;
  /** Path of the image's bundle, ready for `import()`. */
  modulePath: string | undefined;
}

/**
 * Boots: applies the boot rules once for this process start and prepares the running slot's image.
 * `firmwareDir` is the platform's `<dataDir>/firmware`; bundles are written to `<firmwareDir>/run/`.
 */
export async function bootNodeFirmware(firmwareDir: string, options: NodeFirmwareSlotsOptions = {}): Promise<BootResult> {
  const slots = new NodeFirmwareSlots(firmwareDir, options);
  const state = slots.boot();
  const image = await readSlotImage(slots, state.running);
  if (!image) return { state, image: undefined, modulePath: undefined };
  const digest = createHash('sha256').update(image.bundle).digest('hex').slice(0, 16);
  const runDir = join(firmwareDir, 'run');
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const modulePath = join(runDir, `slot-${state.running}-${digest}.mjs`);
  if (!existsSync(modulePath)) writeFileSync(modulePath, image.bundle, { mode: 0o600 });
  return { state, image, modulePath };
}
