/** Typed errors of the provisionee; messages carry the cloud's errorCode and errorMessage, never tokens or keys. */
import { SdkError } from '../util/errors.js';

export type FleetOperation = 'CreateKeysAndCertificate' | 'CreateCertificateFromCsr' | 'RegisterThing';

/**
 * What the caller (or the provisionee's own loop) should do about a rejection:
 * - `retry`: the same request may succeed later (throttling, a 5xx); retried with backoff.
 * - `new-certificate`: the ownership token is no good (expired, already used, unknown); start again from the
 *   certificate step.
 * - `fatal`: retrying cannot help (wrong serial number or UPC, a template that does not exist, a policy that
 *   forbids the request); the configuration or the cloud must change.
 */
export type RejectionRemedy = 'retry' | 'new-certificate' | 'fatal';

/** The cloud answered on a `…/rejected` topic. */
export class ProvisioningRejectedError extends SdkError {
  readonly remedy: RejectionRemedy;
  constructor(
    readonly operation: FleetOperation,
    readonly statusCode: number | undefined,
    readonly errorCode: string,
    readonly errorMessage: string,
  ) {
    super(`${operation} rejected: ${errorCode}${statusCode === undefined ? '' : ` (${statusCode})`}: ${errorMessage}`);
    this.remedy = remedyFor(operation, statusCode, errorCode);
  }

  get retryable(): boolean {
    return this.remedy !== 'fatal';
  }
}

const RETRY_CODES = new Set(['ThrottlingException', 'Throttling', 'ServiceUnavailable', 'ServiceUnavailableException', 'InternalFailure', 'InternalException', 'InternalServerException']);
const TOKEN_CODES = new Set(['InvalidCertificateOwnershipToken', 'ExpiredCertificateOwnershipToken', 'CertificateOwnershipTokenExpired']);

function remedyFor(operation: FleetOperation, statusCode: number | undefined, errorCode: string): RejectionRemedy {
  if (RETRY_CODES.has(errorCode) || statusCode === 429 || (statusCode !== undefined && statusCode >= 500)) return 'retry';
  if (operation === 'RegisterThing' && TOKEN_CODES.has(errorCode)) return 'new-certificate';
  return 'fatal';
}

/** A response arrived but does not have the documented shape (missing field, wrong type, bad encoding). */
export class MalformedResponseError extends SdkError {
  constructor(readonly operation: FleetOperation, readonly detail: string) {
    super(`malformed ${operation} response: ${detail}`);
  }
}

/** A credential the provisionee needs is not in the key store (the factory did not flash it). */
export class MissingCredentialError extends SdkError {
  constructor(readonly label: string) {
    super(`provisioning needs "${label}" in the key store, and it is missing`);
  }
}

/** The persisted provisioning record cannot be read (corrupt, or from an unknown version). */
export class ProvisioningStateError extends SdkError {}

/** Provisioning stopped after `attempts` tries; `cause` is the last error. */
export class ProvisioningFailedError extends SdkError {
  constructor(readonly attempts: number, override readonly cause: Error) {
    super(`provisioning failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${cause.message}`);
  }
}
