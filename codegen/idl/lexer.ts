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


const BEYOND_LATIN1 = /[^\x00-\xff]/;
const BEYOND_LATIN1_ALL = /[^\x00-\xff]/g;

/**
 * One token, comment or stray character after the blanks at `lastIndex` (sticky). Alternatives,
 * tried in order at the first non-blank character: identifier; hex (`0x` + hex digit, else `0`
 * stays a number); decimal digits; a string (escapes consume the next character, no raw newline;
 * decoded later); `//` comment; `/* … *\/` comment; any other single character (punctuation, or a
 * stray one next() reports). Blanks are lark's WS (space, \t, \f, \r, \n). No match: only blanks
 * are left. The lexer runs only where the parser's item patterns (item-patterns.ts) do not take a
 * whole item at once, so it matches one token per call instead of splitting the whole file.
 */
const TOKEN = /[ \t\f\r\n]*([A-Za-z_][A-Za-z0-9_]*|0x[0-9A-Fa-f]+|[0-9]+|"(?:[^"\\\n]|\\[^\n])*"|\/\/[^\n]*|\/\*[\s\S]*?\*\/|[^ \t\f\r\n])/y;

const PUNCT = new Set('{}()[];:=,<>-'.split('').map((c) => c.charCodeAt(0)));

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
  /**
   * Doc comments by anchor: the offset of the first character that is not ' ', \t, \n or \r after
   * the comment (the first comment wins). An item starting there takes the text as description.
   */
  readonly docComments = new Map<number, string>();
  /** The current token; next() rewrites this one object instead of allocating one per token. */
  readonly tok: Token = { kind: Tok.Eof, text: '', start: 0, end: 0 };
  /**
   * Offset where the next token's leading blanks start. The parser moves it past an item it
   * matched whole (item-patterns.ts); the next call to next() reads on from there.
   */
  pos = 0;
  /** Whether the last next() skipped a comment before its token. */
  afterComment = false;
  /**
   * The text the parts are split from. V8 stores a string with any character above U+00FF (a
   * ‘quote’ in one comment is enough) with two bytes per character, and so every slice of it, and
   * every generated file built from those slices: twice the bytes to copy and collect. When `text`
   * has such characters this is a copy with each of them (each UTF-16 unit) replaced by U+007F,
   * which no token rule but the stray-character one matches, as for the original character: same
   * length and offsets, same tokens, one byte per character. Strings, stray characters and doc
   * comments holding such characters are read from the original. The parser's item patterns
   * match this text too.
   */
  readonly narrow: string;
  readonly #hasWide: boolean;

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    this.#hasWide = BEYOND_LATIN1.test(text);
    // replace() keeps a two-byte result for a two-byte subject; the Latin-1 round trip makes it one byte.
    this.narrow = this.#hasWide ? Buffer.from(text.replace(BEYOND_LATIN1_ALL, '\x7f'), 'latin1').toString('latin1') : text;
  }

  error(offset: number, detail: string): CodegenInputError {
    const { line, column } = lineColumnOf(this.text, offset);
    return new CodegenInputError(this.file, line, column, detail);
  }

  next(): Token {
    this.afterComment = false;
    for (;;) {
      TOKEN.lastIndex = this.pos;
      const m = TOKEN.exec(this.narrow);
      if (m === null) {
        const n = this.text.length;
        this.pos = n;
        return this.#set(Tok.Eof, '', n, n);
      }
      const s = m[1]!;
      const end = TOKEN.lastIndex;
      const start = end - s.length;
      this.pos = end;
      const c = s.charCodeAt(0);
      // Letters and _ (identifiers), then digits (numbers): the regular expression took the run.
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) return this.#set(Tok.Id, s, start, end);
      if (c >= 48 && c <= 57) return this.#set(Tok.Int, s, start, end);
      if (s.length === 1 && PUNCT.has(c)) return this.#set(Tok.Punct, s, start, end);
      if (c === 47 /* / */ && s.length > 1) {
        if (s.charCodeAt(1) === 42 /* * */ && s.charCodeAt(2) === 42) this.#docComment(start, end);
        this.afterComment = true;
        continue;
      }
      if (c === 34 /* " */) return this.#string(start);
      if (c === 47 && this.text.charCodeAt(start + 1) === 42) {
        throw this.error(start, 'found an unterminated /* comment, expected */ before the end of the file');
      }
      throw this.error(start, `unexpected character ${JSON.stringify(this.text[start])}`);
    }
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

  /** A `/** … *\/` comment from `start` to `end`: remembered with its anchor for the parser. */
  #docComment(start: number, end: number): void {
    const text = this.text;
    const n = text.length;
    let anchor = end;
    while (anchor < n && isAnchorBlank(text.charCodeAt(anchor))) anchor++;
    // upstream: token.value[3:-2].strip()
    let inner = end - start >= 5 ? text.slice(start + 3, end - 2) : '';
    if (this.#hasWide && !BEYOND_LATIN1.test(inner)) inner = this.narrow.slice(start + 3, end - 2);
    if (!this.docComments.has(anchor)) this.docComments.set(anchor, inner.trim());
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
    // p + 1 is where TOKEN ended this string too: both end at the first quote no escape consumed.
    return this.#set(Tok.Str, out, start, p + 1);
  }
}
