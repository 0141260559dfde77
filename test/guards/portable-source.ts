/**
 * Finds what the portable core (modules/) must not use: Node built-in modules (node:* or bare names
 * like 'fs'), and the globals XS lacks or the PAL replaces (Buffer, process, timers, TextEncoder,
 * TextDecoder, crypto, queueMicrotask...). Comments, strings and regex literals are blanked first, so
 * only code counts; member accesses (`platform.timers.setTimeout`, `this.crypto`) and object keys
 * (`{ crypto: … }`) are not globals.
 */
import { builtinModules } from 'node:module';

export const FORBIDDEN_GLOBALS = [
  'Buffer',
  'process',
  'global',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'queueMicrotask',
  'TextEncoder',
  'TextDecoder',
  'crypto',
  'require',
  '__dirname',
  '__filename',
  'atob',
  'btoa',
  'performance',
  'fetch',
] as const;

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, name.replace(/^node:/, '')]));

export interface Violation {
  line: number;
  what: string;
}

/** Replaces comments, string contents and regex bodies with spaces (keeping newlines and lengths). */
export function blankNonCode(source: string): { code: string; strings: { value: string; start: number }[] } {
  const out = source.split('');
  const strings: { value: string; start: number }[] = [];
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Stack of brace depths at which a template literal's ${ … } returns to the template.
  const templateStack: number[] = [];
  let braceDepth = 0;
  let i = 0;
  let lastSignificant = '';
  const regexCanStart = () => lastSignificant === '' || /[(,=:[!&|?{};+\-*%<>~^]$/.test(lastSignificant) || /\b(return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/.test(lastSignificant);
  const scanTemplate = (start: number): number => {
    // start is just after ` or after a closing } of a ${…}; returns index after the closing ` or after ${
    let j = start;
    while (j < source.length) {
      const c = source[j]!;
      if (c === '\\') {
        j += 2;
        continue;
      }
      if (c === '`') {
        blank(start, j);
        return j + 1;
      }
      if (c === '$' && source[j + 1] === '{') {
        blank(start, j);
        templateStack.push(braceDepth);
        braceDepth++;
        return j + 2;
      }
      j++;
    }
    blank(start, j);
    return j;
  };
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      blank(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== c && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      strings.push({ value: source.slice(i + 1, j), start: i });
      blank(i + 1, j);
      i = j + 1;
      lastSignificant = 'str';
      continue;
    }
    if (c === '`') {
      i = scanTemplate(i + 1);
      lastSignificant = 'str';
      continue;
    }
    if (c === '/' && regexCanStart()) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== '\n') {
        const d = source[j]!;
        if (d === '\\') {
          j += 2;
          continue;
        }
        if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) break;
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
      lastSignificant = 'regex';
      continue;
    }
    if (c === '{') braceDepth++;
    if (c === '}') {
      braceDepth--;
      if (templateStack.length > 0 && templateStack[templateStack.length - 1] === braceDepth) {
        templateStack.pop();
        i = scanTemplate(i + 1);
        lastSignificant = 'str';
        continue;
      }
    }
    if (!/\s/.test(c)) {
      if (/[A-Za-z0-9_$]/.test(c)) {
        let j = i;
        while (j < source.length && /[A-Za-z0-9_$]/.test(source[j]!)) j++;
        lastSignificant = source.slice(i, j);
        i = j;
        continue;
      }
      lastSignificant = c;
    }
    i++;
  }
  return { code: out.join(''), strings };
}

function lineOf(source: string, index: number): number {
  let line = 1;
  for (let k = 0; k < index; k++) if (source.charCodeAt(k) === 10) line++;
  return line;
}

/** Every forbidden import and global use in one TypeScript source. */
export function findViolations(source: string): Violation[] {
  const { code, strings } = blankNonCode(source);
  const violations: Violation[] = [];
  // Module specifiers: the string after `from`, `import(`, `require(`, or a bare `import '…'`.
  for (const { value, start } of strings) {
    const before = code.slice(Math.max(0, start - 40), start);
    if (!/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\bexport\s*\*\s*from\s*)$/.test(before)) continue;
    if (value.startsWith('node:') || BUILTINS.has(value) || BUILTINS.has(value.split('/')[0]!)) {
      violations.push({ line: lineOf(source, start), what: `imports Node built-in "${value}"` });
    }
  }
  const globals = new RegExp(`(^|[^.\\w$#])(${FORBIDDEN_GLOBALS.join('|')})\\b(?!\\s*\\??:(?!:))`, 'g');
  let match: RegExpExecArray | null;
  while ((match = globals.exec(code)) !== null) {
    const index = match.index + match[1]!.length;
    const name = match[2]!;
    if (isMethodDefinition(code, index, index + name.length)) continue;
    violations.push({ line: lineOf(source, index), what: `uses global ${name}` });
  }
  const viaGlobalThis = new RegExp(`\\bglobalThis\\s*(?:\\.\\s*|\\[\\s*\\]\\s*)(${FORBIDDEN_GLOBALS.join('|')})\\b`, 'g');
  while ((match = viaGlobalThis.exec(code)) !== null) {
    violations.push({ line: lineOf(source, match.index), what: `uses globalThis.${match[1]}` });
  }
  return violations;
}

/**
 * `async process(job: Job): Promise<void> {` declares a method named like a global: the name is
 * followed by a parameter list and then `{` or a return type, and is not the middle of a ternary.
 */
function isMethodDefinition(code: string, start: number, end: number): boolean {
  let k = end;
  while (k < code.length && /\s/.test(code[k]!)) k++;
  if (code[k] !== '(') return false;
  let depth = 0;
  for (; k < code.length; k++) {
    if (code[k] === '(') depth++;
    else if (code[k] === ')' && --depth === 0) break;
  }
  k++;
  while (k < code.length && /\s/.test(code[k]!)) k++;
  if (code[k] === '{') return true;
  if (code[k] !== ':') return false;
  let p = start - 1;
  while (p >= 0 && /\s/.test(code[p]!)) p--;
  return code[p] !== '?' && code[p] !== ':';
}
