/**
 * The provisioning record: which step was reached, persisted atomically (KeyValueStorage's contract)
 * before and after every network exchange, so a device that loses power resumes where it was and never
 * runs with half a set of credentials.
 */
import type { KeyType, KeyValueStorage, TextCodec } from '../../platform/pal/index.js';
import { LimitExceededError } from '../util/errors.js';
import { ProvisioningStateError } from './errors.js';
import type { PayloadFormat } from './topics.js';

/**
 * - `idle`: nothing in flight (first boot, or re-provisioning asked for); device credentials are not trusted.
 * - `certificate-requested`: a new certificate was asked for; whatever the attempt left in the store is stale.
 * - `certificate-received`: the new certificate is staged, its ownership token recorded.
 * - `register-requested`: RegisterThing was sent with that token; the answer may or may not have been seen.
 * - `registered`: RegisterThing accepted; the staged certificate is being promoted.
 * - `provisioned`: the device certificate is in place and registered.
 */
export type ProvisioningStep =
  | 'idle'
  | 'certificate-requested'
  | 'certificate-received'
  | 'register-requested'
  | 'registered'
  | 'provisioned';

export type CertificatePath = 'csr' | 'create-keys';

export interface ProvisioningRecord {
  version: 1;
  step: ProvisioningStep;
  /** Certificate attempts started since the last success (for logs and tests). */
  attempt: number;
  path?: CertificatePath;
  keyType?: KeyType;
  format?: PayloadFormat;
  certificateId?: string;
  /** Needed to resume RegisterThing after a restart; valid one hour. Never logged. */
  ownershipToken?: string;
  /** Wall-clock time the token arrived, when the clock was synchronised then. */
  tokenReceivedAt?: number;
  thingName?: string;
  clientId?: string;
  deviceConfiguration?: Record<string, string>;
  /** Why the last re-provisioning started (`explicit`, `certificate-refused: …`). */
  reprovisionReason?: string;
}

export const STATE_KEY = 'prov.state';
/** ESP32 NVS holds at most 4,000 bytes per value. */
export const MAX_RECORD_BYTES = 4000;

const STEPS: readonly ProvisioningStep[] = ['idle', 'certificate-requested', 'certificate-received', 'register-requested', 'registered', 'provisioned'];

export function initialRecord(): ProvisioningRecord {
  return { version: 1, step: 'idle', attempt: 0 };
}

export class ProvisioningStateStore {
  #storage: KeyValueStorage;
  #text: TextCodec;

  constructor(storage: KeyValueStorage, text: TextCodec) {
    this.#storage = storage;
    this.#text = text;
  }

  async load(): Promise<ProvisioningRecord> {
    const bytes = await this.#storage.get(STATE_KEY);
    if (bytes === undefined) return initialRecord();
    let value: unknown;
    try {
      value = JSON.parse(this.#text.decode(bytes, true));
    } catch (error) {
      throw new ProvisioningStateError(`provisioning record "${STATE_KEY}" is not valid JSON: ${(error as Error).message}`);
    }
    const record = value as Partial<ProvisioningRecord>;
    if (typeof record !== 'object' || record === null || record.version !== 1 || !STEPS.includes(record.step as ProvisioningStep)) {
      throw new ProvisioningStateError(`provisioning record "${STATE_KEY}" has an unknown version or step`);
    }
    return { ...record, attempt: typeof record.attempt === 'number' ? record.attempt : 0 } as ProvisioningRecord;
  }

  /** Writes the whole record in one atomic `set`; resolves once durable. */
  async save(record: ProvisioningRecord): Promise<void> {
    const bytes = this.#text.encode(JSON.stringify(record));
    if (bytes.length > MAX_RECORD_BYTES) throw new LimitExceededError('provisioning record bytes', MAX_RECORD_BYTES, bytes.length);
    await this.#storage.set(STATE_KEY, bytes);
  }
}
