/**
 * Request and response bodies of the fleet provisioning API, in JSON or CBOR (the same keys either way).
 * Responses are checked field by field: a device must not store half a certificate because a key was missing.
 */
import type { TextCodec } from '../../platform/pal/index.js';
import { decodeCbor, encodeCbor } from '../codec/cbor.js';
import { MalformedResponseError, ProvisioningRejectedError, type FleetOperation } from './errors.js';
import type { PayloadFormat } from './topics.js';

export interface CreateCertificateAccepted {
  certificateId: string;
  certificatePem: string;
  certificateOwnershipToken: string;
  /** CreateKeysAndCertificate only: the key the cloud made, PEM. */
  privateKey?: string;
}

export interface RegisterThingRequest {
  certificateOwnershipToken: string;
  parameters?: Record<string, string>;
}

export interface RegisterThingAccepted {
  thingName: string;
  deviceConfiguration: Record<string, string>;
}

export class PayloadCodec {
  readonly format: PayloadFormat;
  #text: TextCodec;

  constructor(format: PayloadFormat, text: TextCodec) {
    this.format = format;
    this.#text = text;
  }

  encode(body: object): Uint8Array {
    return this.format === 'cbor' ? encodeCbor(body) : this.#text.encode(JSON.stringify(body));
  }

  decode(operation: FleetOperation, bytes: Uint8Array): Record<string, unknown> {
    let value: unknown;
    try {
      value = this.format === 'cbor' ? decodeCbor(bytes) : JSON.parse(this.#text.decode(bytes, true));
    } catch (error) {
      throw new MalformedResponseError(operation, `not valid ${this.format.toUpperCase()} (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new MalformedResponseError(operation, `expected a ${this.format.toUpperCase()} map, got ${Array.isArray(value) ? 'array' : typeof value}`);
    }
    return value as Record<string, unknown>;
  }

  /** The request body of CreateCertificateFromCsr. */
  createFromCsrRequest(csrPem: string): Uint8Array {
    return this.encode({ certificateSigningRequest: csrPem });
  }

  /** CreateKeysAndCertificate takes an empty map (`{}`), as the AWS SDKs send it. */
  createKeysRequest(): Uint8Array {
    return this.encode({});
  }

  registerThingRequest(request: RegisterThingRequest): Uint8Array {
    return this.encode(request);
  }

  certificateAccepted(operation: FleetOperation, bytes: Uint8Array): CreateCertificateAccepted {
    const body = this.decode(operation, bytes);
    const out: CreateCertificateAccepted = {
      certificateId: requireString(operation, body, 'certificateId'),
      certificatePem: requireString(operation, body, 'certificatePem'),
      certificateOwnershipToken: requireString(operation, body, 'certificateOwnershipToken'),
    };
    if (operation === 'CreateKeysAndCertificate') out.privateKey = requireString(operation, body, 'privateKey');
    return out;
  }

  registerThingAccepted(bytes: Uint8Array): RegisterThingAccepted {
    const body = this.decode('RegisterThing', bytes);
    const thingName = requireString('RegisterThing', body, 'thingName');
    const config = body['deviceConfiguration'] ?? {};
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new MalformedResponseError('RegisterThing', 'expected deviceConfiguration to be a map');
    }
    const deviceConfiguration: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) deviceConfiguration[key] = typeof value === 'string' ? value : JSON.stringify(value);
    return { thingName, deviceConfiguration };
  }

  /** The typed error for a `…/rejected` message: `{ statusCode, errorCode, errorMessage }`. */
  rejected(operation: FleetOperation, bytes: Uint8Array): ProvisioningRejectedError {
    let body: Record<string, unknown>;
    try {
      body = this.decode(operation, bytes);
    } catch (error) {
      return new ProvisioningRejectedError(operation, undefined, 'UnreadableRejection', (error as Error).message);
    }
    const statusCode = typeof body['statusCode'] === 'number' ? body['statusCode'] : undefined;
    const errorCode = typeof body['errorCode'] === 'string' ? body['errorCode'] : 'Unknown';
    const errorMessage = typeof body['errorMessage'] === 'string' ? body['errorMessage'] : '';
    return new ProvisioningRejectedError(operation, statusCode, errorCode, errorMessage);
  }
}

function requireString(operation: FleetOperation, body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new MalformedResponseError(operation, `expected "${key}" to be a non-empty string, got ${value === undefined ? 'nothing' : typeof value}`);
  }
  return value;
}
