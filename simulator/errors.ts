import { SdkError } from '../modules/util/errors.js';

/**
 * An API error of the local cloud. `code` is the AWS exception name the real service would use
 * (ResourceNotFoundException, ValidationException, ConflictException, …) and `status` its HTTP status,
 * so the HTTP API and the CLI can report it the way the AWS CLI would.
 */
export class CloudApiError extends SdkError {
  constructor(readonly code: string, readonly status: number, message: string) {
    super(message);
  }
}

export const notFound = (what: string, id: string): CloudApiError =>
  new CloudApiError('ResourceNotFoundException', 404, `${what} ${JSON.stringify(id)} does not exist`);

export const invalid = (message: string): CloudApiError => new CloudApiError('ValidationException', 400, message);

export const conflict = (message: string): CloudApiError => new CloudApiError('ConflictException', 409, message);

/** SendManagedThingCommand with a wait: the device did not answer in time. */
export class CommandTimeoutError extends CloudApiError {
  constructor(readonly traceId: string, readonly waitMs: number) {
    super('CommandTimeout', 504, `no response for command ${traceId} within ${waitMs} ms`);
  }
}
