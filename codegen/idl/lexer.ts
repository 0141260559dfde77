/**
 * Tokenizer for `.matter` files. Words are returned as identifiers; the parser decides from context
 * whether a word is a keyword (as upstream's contextual LALR lexer does), so keywords stay usable as
 * names (`boolean boolean = 0;`). Comments are skipped; a `/** … *\/` comment is remembered with the
 * offset of the first non-blank character after it, where it becomes a description.
 */
import { CodegenInputError, lineColumnOf } from '../errors.js';

export const Tok = { Id: 0, Int: 1, Str: 2, Punct: 3, Eof: 4 } as const;
export type Tok = (typeof Tok)[keyof typeof Tok];

export interface Token {
  kind: Tok;
  /** Identifier text, integer digits (`0x..` kept), punctuation char, or the decoded string. */
  text: string;
  start: number;
  end: number;
  /** Lower-cased text of an identifier, computed once when the parser first asks. */
  lower?: string;
}

export interface DocComment {
  /** Offset of the first character that is not ' ', \t, \n or \r after the comment. */
  anchor: number;
  text: string;
}

const BEYOND_LATIN1 = /[^\x00-\xff]/;

const PUNCT = new Set('{}()[];:=,<>-'.split('').map((c) => c.charCodeAt(0)));

function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
/**
 * Runs of identifier characters, digits and blanks are scanned with sticky regular expressions:
 * V8 runs those as compiled native code from the first call, while a per-character JS loop runs in
 * the interpreter until the parser gets hot, which made a single (cold) run several times slower.
 */
const ID_REST = /[A-Za-z0-9_]*/y;
const DIGITS = /[0-9]*/y;
const HEX_DIGITS = /[0-9A-Fa-f]*/y;
/** lark's WS: space, \t, \f, \r, \n. */
const BLANKS = /[ \t\f\r\n]*/y;

/** The offset after the run `pattern` (one of the above: it always matches) finds at `from`. */
function scan(pattern: RegExp, text: string, from: number): number {
  pattern.lastIndex = from;
  return pattern.test(text) ? pattern.lastIndex : from;
}

/** Doc-comment anchors skip only ' \t\n\r', as upstream's PrefixCppDocComment does. */
function isAnchorBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * upstream decodes strings with `.encode('utf-8').decode('unicode-escape')`, which reads the UTF-8
 * bytes of non-ASCII text as Latin-1; reproduce it so dumps stay byte-identical.
 */
function latin1OfUtf8(s: string): string {
  if (!/[^\x00-\x7f]/.test(s)) return s;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out += ch;
    else if (cp < 0x800) out += String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out += String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out += String.fromCharCode(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return out;
}

export class Lexer {
  readonly docComments: DocComment[] = [];
  /** The current token; next() rewrites this one object instead of allocating one per token. */
  readonly tok: Token = { kind: Tok.Eof, text: '', start: 0, end: 0 };
  #pos = 0;
  /**
   * The text names, numbers and doc comments are sliced from. V8 stores a string with any character
   * above U+00FF (a ‘quote’ in one comment is enough) with two bytes per character, and so every
   * slice of it, and every generated file built from those slices: twice the bytes to copy and
   * collect. When `text` has such characters this is a copy with each of them cut to its low byte
   * (same length, so offsets agree), which V8 keeps at one byte per character; a slice is taken from
   * it only where the original has no such character (always for names and numbers, which are ASCII).
   */
  readonly #narrow: string;

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    this.#narrow = BEYOND_LATIN1.test(text) ? Buffer.from(text, 'latin1').toString('latin1') : text;
  }

  error(offset: number, detail: string): CodegenInputError {
    const { line, column } = lineColumnOf(this.text, offset);
    return new CodegenInputError(this.file, line, column, detail);
  }

  next(): Token {
    const text = this.text;
    const n = text.length;
    let p = this.#skipTrivia();
    if (p >= n) return this.#set(Tok.Eof, '', n, n);
    const c = text.charCodeAt(p);
    const start = p;
    if (isIdStart(c)) {
      p = scan(ID_REST, text, p + 1);
      this.#pos = p;
      return this.#set(Tok.Id, this.#narrow.slice(start, p), start, p);
    }
    if (isDigit(c)) {
      if (c === 48 && text.charCodeAt(p + 1) === 120 /* x */ && isHexDigit(text.charCodeAt(p + 2))) {
        p = scan(HEX_DIGITS, text, p + 2);
      } else {
        p = scan(DIGITS, text, p);
      }
      this.#pos = p;
      return this.#set(Tok.Int, this.#narrow.slice(start, p), start, p);
    }
    if (c === 34 /* " */) return this.#string(start);
    if (PUNCT.has(c)) {
      this.#pos = p + 1;
      return this.#set(Tok.Punct, text[p]!, start, p + 1);
    }
    throw this.error(p, `unexpected character ${JSON.stringify(text[p])}`);
  }

  #set(kind: Tok, text: string, start: number, end: number): Token {
    const t = this.tok;
    t.kind = kind;
    t.text = text;
    t.start = start;
    t.end = end;
    t.lower = undefined;
    return t;
  }

  #skipTrivia(): number {
    const text = this.text;
    const n = text.length;
    let p = this.#pos;
    for (;;) {
      p = scan(BLANKS, text, p);
      if (text.charCodeAt(p) !== 47 /* / */) break;
      const c2 = text.charCodeAt(p + 1);
      if (c2 === 47) {
        const eol = text.indexOf('\n', p + 2);
        p = eol === -1 ? n : eol;
      } else if (c2 === 42 /* * */) {
        const close = text.indexOf('*/', p + 2);
        if (close === -1) throw this.error(p, 'found an unterminated /* comment, expected */ before the end of the file');
        const end = close + 2;
        if (text.charCodeAt(p + 2) === 42) {
          let anchor = end;
          while (anchor < n && isAnchorBlank(text.charCodeAt(anchor))) anchor++;
          // upstream: token.value[3:-2].strip()
          let inner = end - p >= 5 ? text.slice(p + 3, end - 2) : '';
          if (this.#narrow !== text && !BEYOND_LATIN1.test(inner)) inner = this.#narrow.slice(p + 3, end - 2);
          this.docComments.push({ anchor, text: inner.trim() });
        }
        p = end;
      } else break;
    }
    this.#pos = p;
    return p;
  }

  #string(start: number): Token {
    const text = this.text;
    let p = start + 1;
    let out = '';
    let chunk = p;
    for (;;) {
      if (p >= text.length || text.charCodeAt(p) === 10) {
        throw this.error(start, 'found an unterminated string, expected a closing " on the same line');
      }
      const c = text.charCodeAt(p);
      if (c === 34) break;
      if (c === 92 /* \ */) {
        out += latin1OfUtf8(text.slice(chunk, p));
        const e = text[p + 1];
        let len = 2;
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'a': out += '\x07'; break;
          case 'v': out += '\x0b'; break;
          case '\n': throw this.error(start, 'found an unterminated string, expected a closing " on the same line');
          case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            const oct = /^[0-7]{1,3}/.exec(text.slice(p + 1, p + 4))![0];
            out += String.fromCharCode(parseInt(oct, 8));
            len = 1 + oct.length;
            break;
          }
          case '\\': out += '\\'; break;
          case '"': out += '"'; break;
          case "'": out += "'"; break;
          case 'x': case 'u': case 'U': {
            const digits = e === 'x' ? 2 : e === 'u' ? 4 : 8;
            const hex = text.slice(p + 2, p + 2 + digits);
            if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) {
              throw this.error(p, `found a malformed \\${e} escape, expected ${digits} hex digits`);
            }
            out += String.fromCodePoint(parseInt(hex, 16));
            len = 2 + digits;
            break;
          }
          default:
            // unicode-escape keeps unknown escapes as written
            out += '\\' + (e ?? '');
        }
        p += len;
        chunk = p;
        continue;
      }
      p++;
    }
    out += latin1OfUtf8(text.slice(chunk, p));
    this.#pos = p + 1;
    return this.#set(Tok.Str, out, start, p + 1);
  }
}
