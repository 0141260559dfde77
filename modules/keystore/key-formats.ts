/**
 * Portable key and certificate formats for the key store: parse private keys (PEM PKCS#1, PKCS#8,
 * SEC1, or DER PKCS#8) into PKCS#8 DER, derive their SubjectPublicKeyInfo, wrap a raw P-256 scalar
 * as PKCS#8 (which TLS stacks accept), and pull the SPKI out of an X.509 certificate.
 * Errors name the structure and offset that failed, never the bytes.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2';
import {
  derBitString,
  derContext,
  derNull,
  derObjectIdentifier,
  derOctetString,
  derSequence,
  derSmallInteger,
  Tag,
  tlv,
} from '../codec/der-encoder.js';
import {
  bitStringBytes,
  decodeOid,
  decodeSmallInteger,
  derChildren,
  derContents,
  derEncoded,
  expectTag,
  integerMagnitude,
  readDer,
  type DerNode,
} from '../codec/der-reader.js';
import { decodePemBlocks } from '../codec/pem.js';
import type { KeyType } from '../../platform/pal/index.js';
import { InvalidKeyDataError } from './errors.js';

export const Oid = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  rsaEncryption: '1.2.840.113549.1.1.1',
} as const;

/** A private key in the form the store keeps, with what can be said about it publicly. */
export interface ParsedPrivateKey {
  pkcs8: Uint8Array;
  keyType: KeyType;
  spki: Uint8Array;
}

/** CKA_ID: the SHA-256 of the SubjectPublicKeyInfo DER. */
export function keyIdOf(spki: Uint8Array): Uint8Array {
  return sha256(spki);
}

/** SPKI of a P-256 public point (65-byte uncompressed SEC1 form). */
export function p256Spki(publicPoint: Uint8Array): Uint8Array {
  if (publicPoint.length !== 65 || publicPoint[0] !== 4) {
    throw new InvalidKeyDataError('P-256 public key', `expected a 65-byte uncompressed point, got ${publicPoint.length} bytes`);
  }
  return derSequence(derSequence(derObjectIdentifier(Oid.ecPublicKey), derObjectIdentifier(Oid.prime256v1)), derBitString(publicPoint));
}

/** PKCS#8 (RFC 5208/5915) of a P-256 private scalar, carrying the public point as OpenSSL does. */
export function p256Pkcs8(scalar: Uint8Array, publicPoint: Uint8Array): Uint8Array {
  if (scalar.length !== 32) throw new InvalidKeyDataError('P-256 private key', `expected a 32-byte scalar, got ${scalar.length} bytes`);
  const ecPrivateKey = derSequence(derSmallInteger(1), derOctetString(scalar), derContext(1, derBitString(publicPoint)));
  return derSequence(
    derSmallInteger(0),
    derSequence(derObjectIdentifier(Oid.ecPublicKey), derObjectIdentifier(Oid.prime256v1)),
    derOctetString(ecPrivateKey),
  );
}

/**
 * Parses a private key given as PEM text/bytes ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")
 * or PKCS#8 DER, into PKCS#8 DER with its key type and SPKI.
 */
export function parsePrivateKey(input: Uint8Array | string, text?: { decode(bytes: Uint8Array): string }): ParsedPrivateKey {
  const pemText = typeof input === 'string' ? input : looksLikePem(input) ? asciiOf(input, text) : undefined;
  if (pemText === undefined) return parsePkcs8(input as Uint8Array);
  let blocks;
  try {
    blocks = decodePemBlocks(pemText);
  } catch {
    throw new InvalidKeyDataError('private key PEM', 'malformed PEM block');
  }
  const block = blocks.find((b) => b.label.endsWith('PRIVATE KEY'));
  if (!block) {
    throw new InvalidKeyDataError('private key PEM', `no PRIVATE KEY block (found: ${blocks.map((b) => b.label).join(', ') || 'none'})`);
  }
  switch (block.label) {
    case 'PRIVATE KEY':
      return parsePkcs8(block.der);
    case 'RSA PRIVATE KEY':
      return fromPkcs1(block.der);
    case 'EC PRIVATE KEY':
      return fromSec1(block.der);
    default:
      throw new InvalidKeyDataError('private key PEM', `unsupported block "${block.label}" (encrypted keys are not supported)`);
  }
}

/** Parses PKCS#8 DER (RSA-2048 or EC P-256). */
export function parsePkcs8(pkcs8: Uint8Array): ParsedPrivateKey {
  return guard('PKCS#8 private key', () => {
    const root = expectTag(readDer(pkcs8), Tag.sequence, 'PrivateKeyInfo');
    const [version, algorithm, privateKey] = derChildren(pkcs8, root);
    if (decodeSmallInteger(derContents(pkcs8, expectTag(version, Tag.integer, 'version'))) > 1) {
      throw new InvalidKeyDataError('PKCS#8 private key', 'unsupported version');
    }
    const [oidNode, params] = derChildren(pkcs8, expectTag(algorithm, Tag.sequence, 'AlgorithmIdentifier'));
    const oid = decodeOid(derContents(pkcs8, expectTag(oidNode, Tag.objectIdentifier, 'algorithm OID')));
    const inner = derContents(pkcs8, expectTag(privateKey, Tag.octetString, 'privateKey'));
    if (oid === Oid.rsaEncryption) {
      return { pkcs8, keyType: 'RSA-2048', spki: rsaSpkiFromPkcs1(inner) };
    }
    if (oid === Oid.ecPublicKey) {
      const curve = params && params.tag === Tag.objectIdentifier ? decodeOid(derContents(pkcs8, params)) : undefined;
      if (curve !== Oid.prime256v1) throw new InvalidKeyDataError('PKCS#8 private key', `unsupported EC curve ${curve ?? '(none)'}`);
      const { publicPoint } = readEcPrivateKey(inner, true);
      return { pkcs8, keyType: 'EC-P256', spki: p256Spki(publicPoint) };
    }
    throw new InvalidKeyDataError('PKCS#8 private key', `unsupported algorithm ${oid}`);
  });
}

/** The P-256 private scalar inside PKCS#8 DER (for the software signer only). */
export function p256ScalarOfPkcs8(pkcs8: Uint8Array): Uint8Array {
  return guard('PKCS#8 private key', () => {
    const root = expectTag(readDer(pkcs8), Tag.sequence, 'PrivateKeyInfo');
    const [, algorithm, privateKey] = derChildren(pkcs8, root);
    const [oidNode] = derChildren(pkcs8, expectTag(algorithm, Tag.sequence, 'AlgorithmIdentifier'));
    if (decodeOid(derContents(pkcs8, expectTag(oidNode, Tag.objectIdentifier, 'algorithm OID'))) !== Oid.ecPublicKey) {
      throw new InvalidKeyDataError('PKCS#8 private key', 'not an EC key');
    }
    return readEcPrivateKey(derContents(pkcs8, expectTag(privateKey, Tag.octetString, 'privateKey')), false).scalar;
  });
}

/** The key type of an SPKI (certificate or public key). */
export function keyTypeOfSpki(spki: Uint8Array): KeyType | undefined {
  try {
    const [algorithm, key] = derChildren(spki, expectTag(readDer(spki), Tag.sequence, 'SubjectPublicKeyInfo'));
    const [oidNode, params] = derChildren(spki, expectTag(algorithm, Tag.sequence, 'AlgorithmIdentifier'));
    const oid = decodeOid(derContents(spki, expectTag(oidNode, Tag.objectIdentifier, 'algorithm OID')));
    if (oid === Oid.ecPublicKey && params?.tag === Tag.objectIdentifier && decodeOid(derContents(spki, params)) === Oid.prime256v1) return 'EC-P256';
    if (oid === Oid.rsaEncryption) {
      const rsaKey = bitStringBytes(derContents(spki, expectTag(key, Tag.bitString, 'subjectPublicKey')));
      const [modulus] = derChildren(rsaKey, expectTag(readDer(rsaKey), Tag.sequence, 'RSAPublicKey'));
      const bits = integerMagnitude(derContents(rsaKey, expectTag(modulus, Tag.integer, 'modulus'))).length * 8;
      return bits === 2048 ? 'RSA-2048' : undefined;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** Validates SPKI DER (or takes it from PEM "PUBLIC KEY"). */
export function parsePublicKey(input: Uint8Array | string, text?: { decode(bytes: Uint8Array): string }): Uint8Array {
  const spki = derFromPemOrDer(input, 'PUBLIC KEY', text);
  guard('public key', () => {
    const [algorithm, key] = derChildren(spki, expectTag(readDer(spki), Tag.sequence, 'SubjectPublicKeyInfo'));
    expectTag(algorithm, Tag.sequence, 'AlgorithmIdentifier');
    expectTag(key, Tag.bitString, 'subjectPublicKey');
  });
  return spki;
}

/** Certificate DER from PEM "CERTIFICATE" or DER, with its SPKI. */
export function parseCertificate(input: Uint8Array | string, text?: { decode(bytes: Uint8Array): string }): { der: Uint8Array; spki: Uint8Array } {
  const der = derFromPemOrDer(input, 'CERTIFICATE', text);
  return { der, spki: spkiOfCertificate(der) };
}

/** SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 4.1). */
export function spkiOfCertificate(certificate: Uint8Array): Uint8Array {
  return guard('X.509 certificate', () => {
    const [tbs] = derChildren(certificate, expectTag(readDer(certificate), Tag.sequence, 'Certificate'));
    const fields = derChildren(certificate, expectTag(tbs, Tag.sequence, 'TBSCertificate'));
    // version [0] is optional; then serial, signature, issuer, validity, subject, subjectPublicKeyInfo.
    const first = fields[0]?.tag === 0xa0 ? 1 : 0;
    const spki = expectTag(fields[first + 5], Tag.sequence, 'subjectPublicKeyInfo');
    return derEncoded(certificate, spki).slice();
  });
}

// ---- internals ----

function fromPkcs1(pkcs1: Uint8Array): ParsedPrivateKey {
  const spki = guard('PKCS#1 RSA private key', () => rsaSpkiFromPkcs1(pkcs1));
  const pkcs8 = derSequence(derSmallInteger(0), derSequence(derObjectIdentifier(Oid.rsaEncryption), derNull()), derOctetString(pkcs1));
  return { pkcs8, keyType: 'RSA-2048', spki };
}

function fromSec1(sec1: Uint8Array): ParsedPrivateKey {
  return guard('SEC1 EC private key', () => {
    const { scalar, publicPoint, curve } = readEcPrivateKey(sec1, true);
    if (curve !== undefined && curve !== Oid.prime256v1) throw new InvalidKeyDataError('SEC1 EC private key', `unsupported curve ${curve}`);
    const pkcs8 = p256Pkcs8(scalar, publicPoint);
    return { pkcs8, keyType: 'EC-P256', spki: p256Spki(publicPoint) };
  });
}

/** RSAPrivateKey (PKCS#1) → SPKI of its public half; only 2048-bit keys are accepted. */
function rsaSpkiFromPkcs1(pkcs1: Uint8Array): Uint8Array {
  const fields = derChildren(pkcs1, expectTag(readDer(pkcs1), Tag.sequence, 'RSAPrivateKey'));
  if (fields.length < 9) throw new InvalidKeyDataError('RSA private key', `expected 9 fields, found ${fields.length}`);
  const modulus = integerMagnitude(derContents(pkcs1, expectTag(fields[1], Tag.integer, 'modulus')));
  const exponent = integerMagnitude(derContents(pkcs1, expectTag(fields[2], Tag.integer, 'publicExponent')));
  if (modulus.length !== 256 || !(modulus[0]! & 0x80)) {
    throw new InvalidKeyDataError('RSA private key', `expected a 2048-bit modulus, got ${modulus.length * 8} bits or fewer`);
  }
  const rsaPublicKey = derSequence(unsignedInteger(modulus), unsignedInteger(exponent));
  return derSequence(derSequence(derObjectIdentifier(Oid.rsaEncryption), derNull()), derBitString(rsaPublicKey));
}

function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  return magnitude[0]! & 0x80 ? tlv(Tag.integer, Uint8Array.of(0), magnitude) : tlv(Tag.integer, magnitude);
}

/** ECPrivateKey (RFC 5915): scalar, optional curve, public point (computed when absent and asked for). */
function readEcPrivateKey(der: Uint8Array, needPublic: boolean): { scalar: Uint8Array; publicPoint: Uint8Array; curve: string | undefined } {
  const fields = derChildren(der, expectTag(readDer(der), Tag.sequence, 'ECPrivateKey'));
  if (decodeSmallInteger(derContents(der, expectTag(fields[0], Tag.integer, 'version'))) !== 1) {
    throw new InvalidKeyDataError('EC private key', 'unsupported ECPrivateKey version');
  }
  const raw = derContents(der, expectTag(fields[1], Tag.octetString, 'privateKey'));
  if (raw.length > 32) throw new InvalidKeyDataError('EC private key', `expected a scalar of at most 32 bytes, got ${raw.length}`);
  const scalar = new Uint8Array(32);
  scalar.set(raw, 32 - raw.length);
  let curve: string | undefined;
  let publicPoint: Uint8Array | undefined;
  for (const field of fields.slice(2)) {
    if (field.tag === 0xa0) {
      const [oid] = derChildren(der, field);
      if (oid?.tag === Tag.objectIdentifier) curve = decodeOid(derContents(der, oid));
    } else if (field.tag === 0xa1) {
      const [bits] = derChildren(der, field);
      publicPoint = bitStringBytes(derContents(der, expectTag(bits, Tag.bitString, 'publicKey'))).slice();
    }
  }
  if (!publicPoint && needPublic) {
    try {
      publicPoint = p256.getPublicKey(scalar, false);
    } catch {
      throw new InvalidKeyDataError('EC private key', 'the scalar is not a valid P-256 private key');
    }
  }
  return { scalar, publicPoint: publicPoint ?? new Uint8Array(0), curve };
}

/**
 * Runs a parse and turns any parse failure into InvalidKeyDataError naming `what`; the reader's
 * messages hold offsets and tags only, so they are safe to pass on.
 */
function guard<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidKeyDataError) throw error;
    throw new InvalidKeyDataError(what, error instanceof Error ? error.message : 'unparseable');
  }
}

function looksLikePem(bytes: Uint8Array): boolean {
  // "-----BEGIN" possibly after whitespace; DER always starts with 0x30.
  for (let i = 0; i < bytes.length && i < 64; i++) {
    const b = bytes[i]!;
    if (b === 0x2d) return true;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  }
  return false;
}

function asciiOf(bytes: Uint8Array, text?: { decode(bytes: Uint8Array): string }): string {
  if (text) return text.decode(bytes);
  // PEM is ASCII; no TextDecoder needed.
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

function derFromPemOrDer(input: Uint8Array | string, label: string, text?: { decode(bytes: Uint8Array): string }): Uint8Array {
  const pemText = typeof input === 'string' ? input : looksLikePem(input) ? asciiOf(input, text) : undefined;
  if (pemText === undefined) return (input as Uint8Array).slice();
  const blocks = decodePemBlocks(pemText);
  const block = blocks.find((b) => b.label === label);
  if (!block) throw new InvalidKeyDataError(label.toLowerCase(), `expected a PEM "${label}" block, found ${blocks.map((b) => b.label).join(', ') || 'none'}`);
  return block.der;
}

export type { DerNode };
