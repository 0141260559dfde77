/**
 * Reads the subject common name of an X.509 certificate (DER), for the `<common name>_<serial number>`
 * client id. A minimal DER walk: certificate → tbsCertificate → subject → the CN attribute.
 */
import type { TextCodec } from '../../platform/pal/index.js';
import { SdkError } from '../util/errors.js';

export class CertificateParseError extends SdkError {}

interface Element {
  tag: number;
  start: number; // first content byte
  end: number; // one past the last content byte
}

function read(der: Uint8Array, offset: number, limit: number): Element {
  if (offset + 2 > limit) throw new CertificateParseError(`truncated DER at offset ${offset}`);
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) throw new CertificateParseError(`bad DER length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  if (start + length > limit) throw new CertificateParseError(`DER element at offset ${offset} runs past its parent`);
  return { tag, start, end: start + length };
}

function children(der: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const e = read(der, at, parent.end);
    out.push(e);
    at = e.end;
  }
  return out;
}

const COMMON_NAME_OID = [0x55, 0x04, 0x03];

/** The subject's first common name, or undefined when the subject has none. */
export function certificateCommonName(der: Uint8Array, text: TextCodec): string | undefined {
  const certificate = read(der, 0, der.length);
  const [tbs] = children(der, certificate);
  if (!tbs || tbs.tag !== 0x30) throw new CertificateParseError('expected tbsCertificate SEQUENCE');
  const fields = children(der, tbs);
  // version [0] is optional; subject is the fifth field after it (serial, signature, issuer, validity, subject).
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (!subject || subject.tag !== 0x30) throw new CertificateParseError('expected subject Name SEQUENCE');
  for (const rdn of children(der, subject)) {
    for (const atv of children(der, rdn)) {
      const [oid, value] = children(der, atv);
      if (!oid || !value || oid.end - oid.start !== 3) continue;
      if (COMMON_NAME_OID.every((b, i) => der[oid.start + i] === b)) return text.decode(der.subarray(value.start, value.end), true);
    }
  }
  return undefined;
}
