/**
 * The code-signing public key as an uncompressed P-256 point, from a SubjectPublicKeyInfo or an
 * X.509 certificate in DER. Only the few DER structures on that path are read.
 */
import { SigningKeyError } from './errors.js';

/** 1.2.840.10045.2.1 id-ecPublicKey */
const OID_EC_PUBLIC_KEY = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/** 1.2.840.10045.3.1.7 prime256v1 */
const OID_P256 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

interface Tlv {
  tag: number;
  /** The tag byte. */
  offset: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte. */
  end: number;
}

function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new SigningKeyError(`malformed DER: truncated at ${offset}`);
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3 || start + n > limit) throw new SigningKeyError(`malformed DER: bad length at ${offset}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
    start += n;
  }
  if (start + length > limit) throw new SigningKeyError(`malformed DER: element at ${offset} runs past its container`);
  return { tag, offset, start, end: start + length };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = parent.start; offset < parent.end; ) {
    const child = readTlv(der, offset, parent.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

function sameBytes(der: Uint8Array, tlv: Tlv, expected: number[]): boolean {
  if (tlv.end - tlv.start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (der[tlv.start + i] !== expected[i]) return false;
  return true;
}

/** The 65-byte uncompressed P-256 point of an SPKI; throws SigningKeyError for any other key. */
export function p256PointFromSpki(spki: Uint8Array): Uint8Array {
  const outer = readTlv(spki, 0, spki.length);
  if (outer.tag !== 0x30) throw new SigningKeyError('expected a SubjectPublicKeyInfo SEQUENCE');
  const [algorithm, bitString] = children(spki, outer);
  if (!algorithm || algorithm.tag !== 0x30 || !bitString || bitString.tag !== 0x03) {
    throw new SigningKeyError('expected SubjectPublicKeyInfo { AlgorithmIdentifier, BIT STRING }');
  }
  const [oid, parameters] = children(spki, algorithm);
  if (!oid || oid.tag !== 0x06 || !sameBytes(spki, oid, OID_EC_PUBLIC_KEY)) {
    throw new SigningKeyError('code-signing key is not an EC key (expected id-ecPublicKey)');
  }
  if (!parameters || parameters.tag !== 0x06 || !sameBytes(spki, parameters, OID_P256)) {
    throw new SigningKeyError('code-signing key is not on curve P-256 (expected prime256v1)');
  }
  // BIT STRING: one byte of unused bits (0), then the point.
  if (spki[bitString.start] !== 0) throw new SigningKeyError('malformed public key BIT STRING');
  const point = spki.slice(bitString.start + 1, bitString.end);
  if (!(point.length === 65 && point[0] === 0x04) && !(point.length === 33 && (point[0] === 0x02 || point[0] === 0x03))) {
    throw new SigningKeyError(`expected a P-256 point of 65 or 33 bytes, got ${point.length}`);
  }
  return point;
}

/** The SubjectPublicKeyInfo DER inside an X.509 certificate. */
export function spkiFromCertificate(certificate: Uint8Array): Uint8Array {
  const cert = readTlv(certificate, 0, certificate.length);
  const [tbs] = children(certificate, cert);
  if (cert.tag !== 0x30 || !tbs || tbs.tag !== 0x30) throw new SigningKeyError('expected an X.509 Certificate SEQUENCE');
  const fields = children(certificate, tbs);
  // TBSCertificate: [0] version (optional), serial, signature, issuer, validity, subject, subjectPublicKeyInfo
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  const spki = fields[first + 5];
  if (!spki || spki.tag !== 0x30) throw new SigningKeyError('certificate has no subjectPublicKeyInfo');
  return certificate.slice(spki.offset, spki.end);
}
