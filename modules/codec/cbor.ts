/**
 * CBOR (RFC 8949) through cbor-x, configured the one way that works on every runtime here:
 * `useRecords: false` keeps cbor-x from emitting its record-structure extension (tag 105), which AWS
 * IoT and other decoders do not understand, and from generating code with `new Function`, which XS
 * forbids. Maps decode to plain objects so JSON and CBOR payloads look the same to callers.
 */
import { Encoder } from 'cbor-x';

// variableMapSize: the shortest map header (a1 for one key) rather than cbor-x's fixed 16-bit one.
const codec = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });

export function encodeCbor(value: unknown): Uint8Array {
  const out = codec.encode(value) as Uint8Array;
  // cbor-x reuses one growing buffer between calls; copy so a later encode never changes this result.
  return out.slice();
}

/** Decodes one CBOR item; throws a SyntaxError-like error on malformed or truncated input. */
export function decodeCbor(bytes: Uint8Array): unknown {
  return codec.decode(bytes) as unknown;
}
