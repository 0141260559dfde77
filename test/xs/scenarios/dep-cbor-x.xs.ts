// cbor-x 1.6 (portable entry, useRecords: false), loaded in XS through the Moddable bundle config (the same shims and aliases as
// `npm run build:moddable`). Each dependency has a file of its own so that the table's load compute is
// that dependency's module initialisation alone.
import { scenario } from '../harness.js';
import { Encoder } from 'cbor-x';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

scenario('cbor-x 1.6: encode/decode with useRecords false', async (t) => {
  const codec = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });
  const value = { a: 1, b: [true, null, 'x'], c: { nested: -1.5 }, bytes: new Uint8Array([1, 2, 3]), big: 2 ** 40 };
  const encoded = await t.measure('first encode', () => (codec.encode(value) as Uint8Array).slice());
  t.equal(encoded[0], 0xa5, 'a map of 5 (no record tag 105)');
  const decoded = await t.measure('decode', () => codec.decode(encoded) as Record<string, unknown>);
  t.equal(decoded.a, 1, 'integer');
  t.equal(decoded.b, [true, null, 'x'], 'array');
  t.equal(decoded.c, { nested: -1.5 }, 'float in a nested map');
  t.equal(new Uint8Array(decoded.bytes as Uint8Array), new Uint8Array([1, 2, 3]), 'byte string');
  t.equal(decoded.big, 2 ** 40, '64-bit integer');
  t.equal(hex((codec.encode({ a: 1 }) as Uint8Array).slice()), 'a1616101', 'RFC 8949 bytes of {"a":1}');
  const many = await t.measure('1,000 encode+decode of a small report', () => {
    let ok = 0;
    for (let i = 0; i < 1_000; i++) {
      const round = codec.decode((codec.encode({ endpoint: 1, cluster: 6, attribute: 0, value: i % 2 === 0 }) as Uint8Array).slice()) as { value: boolean };
      if (round.value === (i % 2 === 0)) ok += 1;
    }
    return ok;
  });
  t.equal(many, 1_000, 'all round trips equal');
  t.figure('encoded sample bytes', encoded.length, 'B');
});
