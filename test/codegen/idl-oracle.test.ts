/**
 * dump-idl of each oracle sample equals connectedhomeip's parser output (../shared/matter/oracle), as
 * JSON with exact big integers; the other real samples parse.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { idlToJson, parseMatterIdl, printCanonicalJson, type JsonValue } from '../../codegen/idl/index.js';
import { hasShared, sharedMatter } from './paths.js';

/** JSON.parse that keeps integers beyond 2^53 exact (as bigint). */
function parseJsonExact(text: string): JsonValue {
  const marked = text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"__bigint__$2"');
  return JSON.parse(marked, (_k, v: unknown) => {
    if (typeof v === 'string' && v.startsWith('__bigint__')) {
      const big = BigInt(v.slice(10));
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    return v;
  }) as JsonValue;
}

const ORACLES = [
  ['air-purifier-app', 'samples/air-purifier-app.matter'],
  ['lighting-app', 'samples/lighting-app.matter'],
  ['camera-app', 'samples/camera-app.matter'],
  ['custom-light', 'custom/custom-light.matter'],
] as const;

describe.skipIf(!hasShared)('dump-idl against the reference parser (../shared/matter/oracle)', () => {
  for (const [name, input] of ORACLES) {
    it(`${name}: equals oracle/${name}.json`, () => {
      const file = path.join(sharedMatter, input);
      const ours = idlToJson(parseMatterIdl(readFileSync(file, 'utf8'), file));
      const oracle = parseJsonExact(readFileSync(path.join(sharedMatter, 'oracle', `${name}.json`), 'utf8'));
      // Same keys, values and list order: compare both in one canonical print (sorted keys, exact ints).
      const a = printCanonicalJson(ours);
      const b = printCanonicalJson(oracle);
      if (a !== b) {
        // Narrow the failure to the first differing cluster for a readable message.
        const oc = (oracle as { clusters: JsonValue[] }).clusters;
        const uc = (ours as { clusters: JsonValue[] }).clusters;
        expect(uc.length).toBe(oc.length);
        for (let i = 0; i < oc.length; i++) expect(printCanonicalJson(uc[i]!)).toBe(printCanonicalJson(oc[i]!));
      }
      expect(a).toBe(b);
    });
  }

  it('prints 64-bit bitmap constants exactly (no trip through a double)', () => {
    const file = path.join(sharedMatter, 'samples/all-clusters-app.matter');
    const text = printCanonicalJson(idlToJson(parseMatterIdl(readFileSync(file, 'utf8'), file)));
    expect(text).toContain('4611686018427387904');
  });

  for (const name of ['all-clusters-app', 'controller-clusters', 'camera-app-current']) {
    it(`parses ${name}.matter`, () => {
      const file = path.join(sharedMatter, 'samples', `${name}.matter`);
      const idl = parseMatterIdl(readFileSync(file, 'utf8'), file);
      expect(idl.clusters.length).toBeGreaterThan(20);
      if (name === 'controller-clusters') expect(idl.clusters.length).toBe(157);
      // Every cluster's canonical form round-trips through JSON (no undefined, no NaN).
      const text = printCanonicalJson(idlToJson(idl));
      expect(printCanonicalJson(parseJsonExact(text))).toBe(text);
    });
  }
});
