/**
 * The OTA agent's persisted state: one small record (key `ota.state`) that survives power loss and
 * reboots, so the agent knows after a restart whether it was downloading (and how far), whether this
 * is the first boot of a new image, or whether a verdict still has to be reported.
 *
 * Resume design: progress is saved at block boundaries, after the block is in flash. SHA-256 state
 * cannot be serialised portably (noble's hash object can be cloned, not saved), so on resume the agent
 * re-hashes the bytes already in the slot. Reading local flash is cheap, needs no network, and means
 * the final digest covers what is really in flash. A resume downloads again at most the one block
 * that was in flight when power went.
 */
import type { KeyValueStorage, SlotName, TextCodec } from '../../platform/pal/index.js';
import type { DeviceJobStatus, StatusDetails } from '../jobs/index.js';

export const OTA_STATE_KEY = 'ota.state';
const RECORD_ALIGN = 32;

/** Downloading `jobId` into `slot`; bytes [0, bytesWritten) are in flash. */
export interface DownloadingState {
  phase: 'downloading';
  jobId: string;
  slot: SlotName;
  size: number;
  /** Identifies the image: a resume only continues the same image (hex SHA-256 or base64 signature). */
  imageId: string;
  blockSize: number;
  bytesWritten: number;
  version?: string;
}

/**
 * Verified and switched over: `activating` is saved before the reboot into `slot`; the new image
 * saves `self-testing` before running the application's self-test.
 */
export interface ActivationState {
  phase: 'activating' | 'self-testing';
  jobId: string;
  slot: SlotName;
  fromSlot: SlotName;
  /** The version the job promised (simple form), checked against what the new image reports. */
  version?: string;
  /** The version that performed the update (AWS `updatedBy`). */
  updatedBy: string;
}

/** A terminal status that could not be reported yet (offline, or reported from the other image). */
export interface ReportState {
  phase: 'report';
  jobId: string;
  status: DeviceJobStatus;
  statusDetails: StatusDetails;
}

export type OtaState = DownloadingState | ActivationState | ReportState;

export class OtaStateStore {
  readonly #storage: KeyValueStorage;
  readonly #text: TextCodec;

  constructor(storage: KeyValueStorage, text: TextCodec) {
    this.#storage = storage;
    this.#text = text;
  }

  async load(): Promise<OtaState | undefined> {
    const bytes = await this.#storage.get(OTA_STATE_KEY);
    if (!bytes) return undefined;
    try {
      const value = JSON.parse(this.#text.decode(bytes, true)) as OtaState;
      return typeof value === 'object' && value !== null && typeof value.phase === 'string' ? value : undefined;
    } catch {
      // The storage contract is atomic, so this is a record from an incompatible build: start clean.
      return undefined;
    }
  }

  /**
   * The record is padded with spaces (which JSON.parse skips) to a multiple of 32 bytes, so the
   * per-block progress updates keep one length as `bytesWritten` grows a digit: a storage that can
   * replace a value of unchanged length in place then does (Node's `process` durability).
   */
  save(state: OtaState): Promise<void> {
    const json = this.#text.encode(JSON.stringify(state));
    const padded = new Uint8Array(Math.ceil(json.length / RECORD_ALIGN) * RECORD_ALIGN).fill(0x20);
    padded.set(json);
    return this.#storage.set(OTA_STATE_KEY, padded);
  }

  clear(): Promise<void> {
    return this.#storage.delete(OTA_STATE_KEY);
  }
}
