/**
 * Where parsed items came from, kept beside the model (not in it, so the model stays plain data) for
 * errors found after parsing, such as a field whose type the generator cannot resolve.
 */
import { CodegenInputError, lineColumnOf } from '../errors.js';

interface Source {
  text: string;
  file: string;
}

const positions = new WeakMap<object, { source: Source; offset: number }>();

export function recordPosition(item: object, source: Source, offset: number): void {
  positions.set(item, { source, offset });
}

/** An input error located at `item` when its position is known; undefined otherwise. */
export function errorAt(item: object, detail: string): CodegenInputError | undefined {
  const p = positions.get(item);
  if (!p) return undefined;
  const { line, column } = lineColumnOf(p.source.text, p.offset);
  return new CodegenInputError(p.source.file, line, column, detail);
}
