/**
 * A small DER (ITU-T X.690) encoder: just the types a PKCS#10 request and its signature need.
 * Each function returns one complete TLV, so callers compose structures by nesting calls.
 */

export const Tag = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  objectIdentifier: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  sequence: 0x30,
  set: 0x31,
} as const;

/** The length octets: short form below 128, long form (0x80 | count, big-endian) above. */
function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** One TLV with `tag` around `contents` (already-encoded children for constructed types). */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = concatBytes(contents);
  return concatBytes([Uint8Array.of(tag), encodeLength(body.length), body]);
}

export function derSequence(...children: Uint8Array[]): Uint8Array {
  return tlv(Tag.sequence, ...children);
}

/** SET OF: DER requires the encodings sorted as octet strings (X.690 11.6). */
export function derSet(...children: Uint8Array[]): Uint8Array {
  const sorted = [...children].sort(compareBytes);
  return tlv(Tag.set, ...sorted);
}

/** [n] IMPLICIT/EXPLICIT constructed context tag around `children`. */
export function derContext(n: number, ...children: Uint8Array[]): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`expected a context tag number 0..30, got ${n}`);
  return tlv(0xa0 | n, ...children);
}

export function derNull(): Uint8Array {
  return Uint8Array.of(Tag.null, 0);
}

/**
 * An INTEGER from unsigned big-endian magnitude bytes (an ECDSA r or s, an RSA modulus):
 * leading zeros are dropped, and one 0x00 is added when the top bit is set so it stays positive.
 */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const body = trimmed.length === 0 ? Uint8Array.of(0) : trimmed;
  return body[0]! & 0x80 ? tlv(Tag.integer, Uint8Array.of(0), body) : tlv(Tag.integer, body);
}

/** A small non-negative INTEGER (versions, counts). */
export function derSmallInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`expected a non-negative safe integer, got ${value}`);
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return derUnsignedInteger(Uint8Array.from(bytes.length ? bytes : [0]));
}

/** An OBJECT IDENTIFIER from dotted text, e.g. "1.2.840.10045.4.3.2". */
export function derObjectIdentifier(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((s) => {
    if (!/^\d+$/.test(s)) throw new SyntaxError(`expected a dotted OID, got ${JSON.stringify(dotted)}`);
    return Number(s);
  });
  if (arcs.length < 2 || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! > 39)) {
    throw new SyntaxError(`expected a dotted OID with a valid first two arcs, got ${JSON.stringify(dotted)}`);
  }
  const out: number[] = [];
  const pushBase128 = (value: number) => {
    const groups: number[] = [value & 0x7f];
    for (let n = Math.floor(value / 128); n > 0; n = Math.floor(n / 128)) groups.unshift((n & 0x7f) | 0x80);
    out.push(...groups);
  };
  pushBase128(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) pushBase128(arc);
  return tlv(Tag.objectIdentifier, Uint8Array.from(out));
}

/** BIT STRING with no unused bits (signatures, public keys). */
export function derBitString(bytes: Uint8Array): Uint8Array {
  return tlv(Tag.bitString, Uint8Array.of(0), bytes);
}

export function derOctetString(bytes: Uint8Array): Uint8Array {
  return tlv(Tag.octetString, bytes);
}

/** UTF8String from already-encoded UTF-8 bytes (the core has no TextEncoder; the PAL's TextCodec makes them). */
export function derUtf8String(utf8: Uint8Array): Uint8Array {
  return tlv(Tag.utf8String, utf8);
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** PrintableString (country codes, serial numbers); throws on characters outside its repertoire. */
export function derPrintableString(text: string): Uint8Array {
  if (!PRINTABLE.test(text)) throw new SyntaxError(`expected PrintableString characters, got ${JSON.stringify(text)}`);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return tlv(Tag.printableString, bytes);
}

export function isPrintableString(text: string): boolean {
  return PRINTABLE.test(text);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * ECDSA signatures come out of PKCS#11-style signers as raw r‖s (2 × 32 bytes for P-256);
 * X.509 and PKCS#10 carry them as DER Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }.
 */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new RangeError(`expected a raw ECDSA signature r‖s of even length, got ${raw.length} bytes`);
  }
  const half = raw.length / 2;
  return derSequence(derUnsignedInteger(raw.subarray(0, half)), derUnsignedInteger(raw.subarray(half)));
}
