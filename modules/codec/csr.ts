/**
 * PKCS#10 certificate signing requests (RFC 2986), built portably in DER and signed through the key
 * store, so the private key never leaves it: the store hands out the SubjectPublicKeyInfo and signs
 * the CertificationRequestInfo bytes; this module only lays out the structure around them.
 */
import type { KeyStoreApi, KeyType, SignMechanism } from '../keystore/types.js';
import type { TextCodec } from '../../platform/pal/index.js';
import {
  derBitString,
  derContext,
  derNull,
  derObjectIdentifier,
  derPrintableString,
  derSequence,
  derSet,
  derSmallInteger,
  derUtf8String,
  ecdsaRawToDer,
  isPrintableString,
} from './der-encoder.js';
import { encodePem } from './pem.js';

/** Distinguished-name attributes a device subject uses; all optional except the common name. */
export interface CsrSubject {
  commonName: string;
  /** ISO 3166 two-letter code. */
  country?: string;
  organization?: string;
  organizationalUnit?: string;
  /** X.520 serialNumber attribute (the device's SN). */
  serialNumber?: string;
}

export interface BuildCsrOptions {
  /** Only the two non-secret operations are needed: the public key and a signature. */
  keyStore: Pick<KeyStoreApi, 'getPublicKey' | 'sign'>;
  /** Label of the key pair inside the store. */
  keyLabel: string;
  keyType: KeyType;
  subject: CsrSubject;
  text: TextCodec;
}

const Oid = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsaEncryption: '1.2.840.113549.1.1.11',
} as const;

/** How each key type signs and how the signature algorithm is named in the request. */
const SIGNATURE: Record<KeyType, { mechanism: SignMechanism; algorithm: () => Uint8Array }> = {
  // RFC 5758 3.2: ecdsa-with-SHA256 has absent parameters.
  'EC-P256': { mechanism: 'ECDSA-SHA256', algorithm: () => derSequence(derObjectIdentifier(Oid.ecdsaWithSha256)) },
  // RFC 4055 5: sha256WithRSAEncryption carries NULL parameters.
  'RSA-2048': {
    mechanism: 'RSA-PKCS1-SHA256',
    algorithm: () => derSequence(derObjectIdentifier(Oid.sha256WithRsaEncryption), derNull()),
  },
};

/** An upper bound (RFC 5280 ub-common-name) that also keeps requests small on a device. */
const MAX_COMMON_NAME_BYTES = 64;

function attribute(oid: string, value: Uint8Array): Uint8Array {
  // RelativeDistinguishedName ::= SET OF AttributeTypeAndValue; one attribute per RDN.
  return derSet(derSequence(derObjectIdentifier(oid), value));
}

/** DirectoryString: PrintableString when the text allows it (the most interoperable), else UTF8String. */
function directoryString(text: string, codec: TextCodec): Uint8Array {
  return isPrintableString(text) ? derPrintableString(text) : derUtf8String(codec.encode(text));
}

export function encodeSubject(subject: CsrSubject, codec: TextCodec): Uint8Array {
  const cnBytes = codec.encode(subject.commonName).length;
  if (cnBytes === 0 || cnBytes > MAX_COMMON_NAME_BYTES) {
    throw new RangeError(`expected a common name of 1..${MAX_COMMON_NAME_BYTES} UTF-8 bytes, got ${cnBytes}`);
  }
  const rdns: Uint8Array[] = [];
  if (subject.country !== undefined) {
    if (!/^[A-Z]{2}$/.test(subject.country)) {
      throw new SyntaxError(`expected a two-letter upper-case country code, got ${JSON.stringify(subject.country)}`);
    }
    rdns.push(attribute(Oid.country, derPrintableString(subject.country)));
  }
  if (subject.organization !== undefined) rdns.push(attribute(Oid.organization, directoryString(subject.organization, codec)));
  if (subject.organizationalUnit !== undefined) {
    rdns.push(attribute(Oid.organizationalUnit, directoryString(subject.organizationalUnit, codec)));
  }
  rdns.push(attribute(Oid.commonName, directoryString(subject.commonName, codec)));
  // X.520 requires serialNumber to be a PrintableString.
  if (subject.serialNumber !== undefined) rdns.push(attribute(Oid.serialNumber, derPrintableString(subject.serialNumber)));
  return derSequence(...rdns);
}

/** The DER of a signed PKCS#10 CertificationRequest for the key pair `keyLabel`. */
export async function buildCsr(options: BuildCsrOptions): Promise<Uint8Array> {
  const { mechanism, algorithm } = SIGNATURE[options.keyType] ?? {};
  if (!mechanism || !algorithm) throw new RangeError(`expected key type EC-P256 or RSA-2048, got ${String(options.keyType)}`);
  const spki = await options.keyStore.getPublicKey(options.keyLabel);
  if (spki[0] !== 0x30) throw new SyntaxError(`expected a DER SubjectPublicKeyInfo for "${options.keyLabel}"`);
  // CertificationRequestInfo ::= SEQUENCE { version 0, subject, subjectPKInfo, attributes [0] {} }
  const info = derSequence(derSmallInteger(0), encodeSubject(options.subject, options.text), spki, derContext(0));
  const signature = await options.keyStore.sign(options.keyLabel, mechanism, info);
  const signatureValue = mechanism === 'ECDSA-SHA256' ? ecdsaSignatureToDer(signature) : signature;
  return derSequence(info, algorithm(), derBitString(signatureValue));
}

export function csrToPem(der: Uint8Array): string {
  return encodePem('CERTIFICATE REQUEST', der);
}

/**
 * A PKCS#11 signer returns r‖s (64 bytes for P-256); accept an already-DER signature too, so the
 * builder works with either kind of store. A DER P-256 signature is 8..72 bytes and starts with 0x30;
 * it is exactly 64 bytes only when r and s are both tiny, which a real signer never produces.
 */
function ecdsaSignatureToDer(signature: Uint8Array): Uint8Array {
  if (signature.length === 64) return ecdsaRawToDer(signature);
  if (signature[0] === 0x30 && signature[1] === signature.length - 2) return signature;
  throw new RangeError(`expected a P-256 ECDSA signature as 64-byte r‖s or DER, got ${signature.length} bytes`);
}
