/**
 * The parser's whole-item patterns (codegen/idl/item-patterns.ts) may refuse any item but must read
 * every item they take exactly as the token rules do. Each input is parsed with the patterns and
 * with the token rules alone, and the results are compared: the model (with doc comments), where
 * each field and command is recorded for later errors, or the error message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMatterIdl } from '../../codegen/idl/parser.js';
import { errorAt } from '../../codegen/idl/positions.js';
import type { Idl } from '../../codegen/idl/model.js';
import { hasShared, inputsDir, sharedMatter } from './paths.js';

const MUTATED_INPUTS = process.env.CI === 'true' ? 20_000 : 2_000;

function positions(idl: Idl): string[] {
  const out: string[] = [];
  const at = (item: object) => errorAt(item, 'here')?.message ?? 'unknown';
  for (const c of idl.clusters) {
    for (const s of c.structs) for (const f of s.fields) out.push(at(f));
    for (const e of c.events) for (const f of e.fields) out.push(at(f));
    for (const a of c.attributes) out.push(at(a.definition));
    for (const m of c.commands) out.push(at(m));
  }
  return out;
}

function outcome(text: string, itemPatterns: boolean): string {
  try {
    const idl = parseMatterIdl(text, 'mutated.matter', { itemPatterns });
    const model = JSON.stringify(idl, (_key, v: unknown) =>
      typeof v === 'bigint' ? `${v}n` : Object.is(v, -0) ? '-0' : v instanceof Set ? [...v] : v,
    );
    return `${model}\n${positions(idl).join('\n')}`;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

function samples(): Array<{ name: string; text: string }> {
  const dirs = [inputsDir, ...(hasShared ? [path.join(sharedMatter, 'samples')] : [])];
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.matter'))) byName.set(f, readFileSync(path.join(dir, f), 'utf8'));
  }
  return [...byName].map(([name, text]) => ({ name, text }));
}

/** Top-level blocks (a cluster, an endpoint, a global type) of a sample: small inputs to mutate. */
function blocks(text: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  for (const line of text.split('\n')) {
    current.push(line);
    if (line === '}') {
      out.push(current.join('\n'));
      current = [];
    }
  }
  return out;
}

/** Items at the edges of what the patterns take, each in a block that is mutated too. */
const EDGE_CASES = [
  `endpoint 1 {
  server cluster A {
    ram attribute y default = -0;
    callback attribute z default= true;
    persist attribute w default = 0x10;
    ram attribute v default = - 18446744073709551615;
    ram attribute u default = false ;
    handle command X;
    emits event Y;
  }
}`,
  `cluster A = 1 {
  readonly attribute access(read: manage, read: administer) int8u a = 0;
  attribute access(write: manage, write: administer) int8u b = 1;
  attribute access(write: manage, read: operate) optional nullable int8u c[] = 2;
  attribute access() int8u d = 3;
  writeonly readonly attribute provisional char_string<0x10> f = 5;
  command access(invoke: manage) C(): D = 2;
  command access() C2(): D = 3;
  timed fabric optional command E(F): G = 0x4;
  fabric timed command access(invoke: administer) E2( F ) : G=5;
  enum H : enum8 {
    stable K = 0;
    stable stable = 1;
    L = 1 [spec_name = "l"];
    M=2[spec_name="m n"];
  }
  struct S {
    optional nullable fabric_sensitive int8u s[] = 0;
    fabric_sensitive optional int8u t = 1;
    char_string<0x10> u = 2;
    stable optional int8u v = 3;
    optional stable w = 4;
    int8u<5>x = 5;
  }
}`,
];

/** Errors where a careless pattern would take the item: the token rules' error must come out. */
const EDGE_ERRORS = [
  'endpoint 1 {\n  server cluster A {\n    ram attribute xdefault = 1;\n  }\n}',
  'endpoint 1 {\n  server cluster A {\n    ram attribute x default = trueX;\n  }\n}',
  'cluster A = 1 {\n  attribute access int8u e = 4;\n}',
  'cluster A = 1 {\n  attribute Access foo = 4;\n}',
  'cluster A = 1 {\n  attribute Nullable int8u = 4;\n}',
  'cluster A = 1 {\n  command Access(Foo): Bar = 1;\n}',
  'cluster A = 1 {\n  fabric_sensitive<5> x = 1;\n}',
  'cluster A = 1 {\n  struct S {\n    fabric_sensitive<5> x = 1;\n    Optional int8u y = 2;\n  }\n}',
  'cluster A = 1 {\n  enum E : enum8 {\n    Stable = 1;\n  }\n}',
];

/** mulberry32: the same mutations on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYWORDS = [
  'attribute', 'readonly', 'writeonly', 'nosubscribe', 'timedwrite', 'optional', 'nullable', 'fabric_sensitive',
  'command', 'access', 'read', 'write', 'invoke', 'view', 'operate', 'manage', 'administer', 'timed', 'fabric',
  'provisional', 'internal', 'deprecated', 'stable', 'ram', 'persist', 'callback', 'default', 'handle', 'emits',
  'event', 'true', 'false', 'spec_name', 'struct', 'enum', 'bitmap', 'info', 'critical', 'request', 'response',
];
const INSERTS = [
  '/* c */', '/** doc */', '// line\n', ' ', '\t', '\n', '\f', '\v', ';', '{', '}', '(', ')', '[', ']', '<', '>', '=', ':', ',', '-',
  '"', '0x', '0', '9', '_', 'x', 'provisional ', 'stable ', 'optional ', 'nullable ', 'fabric_sensitive ', 'access(read: manage) ',
  'access() ', 'access(invoke: administer) ', 'access(read: view, write: manage, read: administer) ',
  'access(read: manage, read: administer) ', 'access(write: manage, write: view) ', '[]', '<5>', '<0x10>', 'default',
  ' [spec_name = "a\\"b"]', ' [spec_name = "café"]', ' [spec_name = "plain"]', 'default = -0', 'default = "s"', 'default = true',
  '0x1FFFFFFFFFFFFF', '18446744073709551615', '‘', '\u00e9',
];

function mutate(text: string, next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const words = [...text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)];
  const numbers = [...text.matchAll(/\b(0x[0-9A-Fa-f]+|[0-9]+)\b/g)];
  const at = Math.floor(next() * (text.length + 1));
  switch (Math.floor(next() * 8)) {
    case 0: {
      // A keyword (or any word) in another letter case.
      const w = pick(words.filter((m) => KEYWORDS.includes(m[0])).concat(words.slice(0, 1)));
      if (!w) return text;
      const cased = next() < 0.5 ? w[0].toUpperCase() : w[0][0]!.toUpperCase() + w[0].slice(1);
      return text.slice(0, w.index) + cased + text.slice(w.index! + w[0].length);
    }
    case 1: {
      // A name replaced by a keyword, in some letter case.
      const w = pick(words);
      if (!w) return text;
      let k = pick(KEYWORDS);
      if (next() < 0.3) k = k[0]!.toUpperCase() + k.slice(1);
      return text.slice(0, w.index) + k + text.slice(w.index! + w[0].length);
    }
    case 2:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 3));
    case 3: {
      // Blanks around a token changed: none, a tab, blank lines, a form feed.
      const blanks = [...text.matchAll(/[ \t\n]+/g)];
      const b = pick(blanks);
      if (!b) return text;
      return text.slice(0, b.index) + pick(['', '\t', '\n\n  ', '\f', '  ', ' /**/ ']) + text.slice(b.index! + b[0].length);
    }
    case 4: {
      const n = pick(numbers);
      if (!n) return text;
      return text.slice(0, n.index) + pick(['0x0', '0X1', '007', '0x1FFFFFFFFFFFFF', '18446744073709551615', '4294048773', '-1', '1a']) + text.slice(n.index! + n[0].length);
    }
    case 5: {
      // Inserted before a word, where items start.
      const w = pick(words);
      if (!w) return text;
      return text.slice(0, w.index) + pick(INSERTS) + text.slice(w.index);
    }
    case 6: {
      // Inserted before a `;`, where items end.
      const semis = [...text.matchAll(/;/g)];
      const s = pick(semis);
      if (!s) return text;
      return text.slice(0, s.index) + pick(INSERTS) + text.slice(s.index);
    }
    default:
      return text.slice(0, at) + pick(INSERTS) + text.slice(at);
  }
}

describe('whole-item patterns against the token rules', () => {
  it('read every sample file as the token rules do', () => {
    const all = samples();
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const { name, text } of all) {
      const withPatterns = outcome(text, true);
      expect(withPatterns.startsWith('error'), name).toBe(false);
      expect(withPatterns, name).toBe(outcome(text, false));
    }
  });

  it('read the edge cases as the token rules do', () => {
    for (const text of EDGE_CASES) {
      const withPatterns = outcome(text, true);
      expect(withPatterns.startsWith('error'), withPatterns).toBe(false);
      expect(withPatterns).toBe(outcome(text, false));
    }
    for (const text of EDGE_ERRORS) {
      const withPatterns = outcome(text, true);
      expect(withPatterns, text).toMatch(/^error: mutated\.matter:\d+:\d+: found /);
      expect(withPatterns, text).toBe(outcome(text, false));
    }
  });

  it(`agree with the token rules on ${MUTATED_INPUTS} mutated blocks`, () => {
    const corpus = samples().flatMap((s) => blocks(s.text));
    expect(corpus.length).toBeGreaterThan(50);
    const next = random(0x5eed);
    let errors = 0;
    for (let i = 0; i < MUTATED_INPUTS; i++) {
      // One in four starts from an edge case.
      let text = next() < 0.25 ? EDGE_CASES[Math.floor(next() * EDGE_CASES.length)]! : corpus[Math.floor(next() * corpus.length)]!;
      const edits = 1 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) text = mutate(text, next);
      const withPatterns = outcome(text, true);
      if (withPatterns.startsWith('error')) errors++;
      if (withPatterns !== outcome(text, false)) expect(withPatterns, text).toBe(outcome(text, false));
    }
    // Both kinds of input are exercised: rejected ones and accepted ones.
    expect(errors).toBeGreaterThan(MUTATED_INPUTS / 10);
    expect(errors).toBeLessThan(MUTATED_INPUTS * 0.9);
  });
});
