import { SdkError } from '../../modules/util/errors.js';

/** The inputs parse but do not make a generatable model (unknown type, name collision, …). */
export class CodegenModelError extends SdkError {}
