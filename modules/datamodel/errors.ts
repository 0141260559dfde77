import { SdkError } from '../util/errors.js';

/** Error codes on the wire: 1 to 64 characters of [A-Za-z0-9_] (device-protocol.md 4.2). */
const ERROR_CODE = /^[A-Za-z0-9_]{1,64}$/;

/**
 * Thrown by a callback (or by the handler itself) to answer an action with a chosen HTTP-style
 * status and error code, e.g. `throw new ActionError(409, 'DOOR_JAMMED', 'the door is blocked')`.
 * Any other exception from a callback is answered with 500.
 */
export class ActionError extends SdkError {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new RangeError(`expected an HTTP-style status 100..599, got ${status}`);
    }
    if (!ERROR_CODE.test(code)) throw new RangeError(`expected an error code of 1..64 [A-Za-z0-9_], got ${JSON.stringify(code)}`);
    this.status = status;
    this.code = code;
  }
}

/** A value does not fit its Matter type; `path` names where (`OnOffControl`, `Items[3]`). */
export class ValueError extends SdkError {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path || 'value'}: ${reason}`);
  }
}

/** An endpoint or cluster registration breaks a limit or a naming rule. */
export class RegistrationError extends SdkError {}
