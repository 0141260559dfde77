/** Base class of every error the SDK throws on purpose, so callers can tell ours from bugs. */
export class SdkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A bounded queue or buffer is full; nothing was queued. */
export class QueueFullError extends SdkError {
  constructor(readonly queue: string, readonly capacity: number) {
    super(`${queue} queue is full (capacity ${capacity})`);
  }
}

/** A value breaks a documented limit (payload size, topic length, …); `limit` names which. */
export class LimitExceededError extends SdkError {
  constructor(readonly limit: string, readonly max: number, readonly actual: number) {
    super(`${limit} exceeds ${max}: got ${actual}`);
  }
}

/** An operation did not finish in time. */
export class TimeoutError extends SdkError {
  constructor(readonly operation: string, readonly timeoutMs: number) {
    super(`${operation} timed out after ${timeoutMs} ms`);
  }
}

/** Bad input from the caller: the message says what was expected and what came. */
export class ArgumentError extends SdkError {}
