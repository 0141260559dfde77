import { SdkError } from '../modules/util/errors.js';

/** A user's mistake in an input file: it names file:line:column, what was found and what was expected. */
export class CodegenInputError extends SdkError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
  }
}

/** A command-line mistake (unknown option, missing argument). */
export class CodegenUsageError extends SdkError {}

/** 1-based line and column of a character offset. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
