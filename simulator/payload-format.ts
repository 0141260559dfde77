import { decode, Encoder } from 'cbor-x';

/** The two payload formats of the fleet-provisioning MQTT API (`…/json`, `…/cbor`). */
export type PayloadFormat = 'json' | 'cbor';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

export class PayloadDecodeError extends Error {}

/** Decodes a request; an empty payload is an empty object (AWS allows it for CreateKeysAndCertificate). */
export function decodePayload(format: PayloadFormat, payload: Buffer): Record<string, unknown> {
  if (payload.length === 0) return {};
  let value: unknown;
  try {
    value = format === 'json' ? JSON.parse(payload.toString('utf8')) : decode(payload);
  } catch (error) {
    throw new PayloadDecodeError(`payload is not valid ${format.toUpperCase()}: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PayloadDecodeError(`payload must be a ${format.toUpperCase()} object`);
  }
  return value as Record<string, unknown>;
}

export function encodePayload(format: PayloadFormat, value: unknown): Buffer {
  return format === 'json' ? Buffer.from(JSON.stringify(value)) : Buffer.from(cbor.encode(value));
}
