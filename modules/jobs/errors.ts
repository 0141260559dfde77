/** Errors of the jobs handler. */
import { SdkError } from '../util/errors.js';
import type { JobExecutionState } from './types.js';

/** The service answered a request on its `/rejected` topic. */
export class JobsRequestRejectedError extends SdkError {
  constructor(
    readonly request: string,
    readonly code: string,
    readonly serviceMessage: string,
    readonly executionState: JobExecutionState | undefined,
  ) {
    super(`${request} rejected with ${code}${serviceMessage ? `: ${serviceMessage}` : ''}`);
  }
}

/** The handler is not started, or was stopped while the request was pending. */
export class JobsHandlerStoppedError extends SdkError {
  constructor(readonly operation: string) {
    super(`${operation}: the jobs handler is not running`);
  }
}
