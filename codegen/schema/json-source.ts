/**
 * A strict JSON parser that remembers where every value starts (by JSON pointer), so schema errors
 * can name file:line:column. Duplicate keys are refused: JSON.parse would silently keep the last.
 */
import { CodegenInputError, lineColumnOf } from '../errors.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class JsonSource {
  readonly value: Json;
  readonly #offsets = new Map<string, number>();
  #pos = 0;

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    this.#ws();
    this.value = this.#value('');
    this.#ws();
    if (this.#pos < text.length) throw this.#error(this.#pos, `found ${JSON.stringify(text[this.#pos])} after the JSON value, expected the end of the file`);
  }

  /** An error located at the value `pointer` names (or the closest enclosing value that exists). */
  errorAt(pointer: string, detail: string): CodegenInputError {
    let p = pointer;
    while (!this.#offsets.has(p) && p !== '') p = p.slice(0, p.lastIndexOf('/'));
    return this.#error(this.#offsets.get(p) ?? 0, detail);
  }

  #error(offset: number, detail: string): CodegenInputError {
    const { line, column } = lineColumnOf(this.text, offset);
    return new CodegenInputError(this.file, line, column, detail);
  }

  #ws(): void {
    const t = this.text;
    while (this.#pos < t.length) {
      const c = t.charCodeAt(this.#pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.#pos++;
      else break;
    }
  }

  #found(): string {
    return this.#pos >= this.text.length ? 'the end of the file' : JSON.stringify(this.text[this.#pos]);
  }

  #value(pointer: string): Json {
    const t = this.text;
    this.#offsets.set(pointer, this.#pos);
    const c = t[this.#pos];
    if (c === '{') {
      this.#pos++;
      const obj: { [key: string]: Json } = {};
      this.#ws();
      if (t[this.#pos] === '}') {
        this.#pos++;
        return obj;
      }
      for (;;) {
        this.#ws();
        if (t[this.#pos] !== '"') throw this.#error(this.#pos, `found ${this.#found()}, expected a "key"`);
        const keyAt = this.#pos;
        const key = this.#string();
        if (Object.prototype.hasOwnProperty.call(obj, key)) throw this.#error(keyAt, `found key ${JSON.stringify(key)} a second time, expected each key once`);
        this.#ws();
        if (t[this.#pos] !== ':') throw this.#error(this.#pos, `found ${this.#found()}, expected ':'`);
        this.#pos++;
        this.#ws();
        obj[key] = this.#value(`${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
        this.#ws();
        if (t[this.#pos] === ',') {
          this.#pos++;
          continue;
        }
        if (t[this.#pos] === '}') {
          this.#pos++;
          return obj;
        }
        throw this.#error(this.#pos, `found ${this.#found()}, expected ',' or '}'`);
      }
    }
    if (c === '[') {
      this.#pos++;
      const arr: Json[] = [];
      this.#ws();
      if (t[this.#pos] === ']') {
        this.#pos++;
        return arr;
      }
      for (;;) {
        this.#ws();
        arr.push(this.#value(`${pointer}/${arr.length}`));
        this.#ws();
        if (t[this.#pos] === ',') {
          this.#pos++;
          continue;
        }
        if (t[this.#pos] === ']') {
          this.#pos++;
          return arr;
        }
        throw this.#error(this.#pos, `found ${this.#found()}, expected ',' or ']'`);
      }
    }
    if (c === '"') return this.#string();
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(t.slice(this.#pos, this.#pos + 400));
    if (!m) throw this.#error(this.#pos, `found ${this.#found()}, expected a JSON value`);
    this.#pos += m[0].length;
    return JSON.parse(m[0]) as Json;
  }

  #string(): string {
    const t = this.text;
    const start = this.#pos;
    let p = start + 1;
    for (;;) {
      if (p >= t.length) throw this.#error(start, 'found an unterminated string, expected a closing "');
      const c = t.charCodeAt(p);
      if (c === 34) break;
      if (c < 32) throw this.#error(p, 'found a control character inside a string, expected it escaped');
      p += c === 92 ? 2 : 1;
    }
    this.#pos = p + 1;
    try {
      return JSON.parse(t.slice(start, p + 1)) as string;
    } catch {
      throw this.#error(start, 'found a malformed escape in a string, expected a JSON escape');
    }
  }
}
