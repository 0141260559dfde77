/**
 * OTA job documents. Two forms are accepted:
 *
 * - the AWS FreeRTOS `afr_ota` document with the HTTP protocol (aws-ota.md §1): the first file's
 *   `update_data_url`, `filesize` and base64 DER `sig-sha256-ecdsa`. It has no digest (the signature
 *   covers the image) and no version: as in the AWS OTA library, the version is checked after the
 *   reboot, when the new image reports its own version and it must be newer than the one that did
 *   the update (`updatedBy` in statusDetails).
 * - the simple form of device-protocol.md §3:
 *   `{"ota":{"version","url","size","sha256","signature","signingKey"}}`.
 */
import { decodeBase64 } from '../codec/base64.js';
import { decodeHex } from '../codec/hex.js';
import { Labels } from '../keystore/types.js';
import { OtaDocumentError } from './errors.js';
import { parseVersion } from './version.js';

/** kOTA_MaxSignatureSize in the AWS OTA library; a DER P-256 signature is at most 72 bytes. */
const MAX_SIGNATURE_BYTES = 384;
/** OTA_REQUEST_URL_MAX_SIZE: presigned S3 URLs fit in 1500 bytes. */
const MAX_URL_LENGTH = 1500;

export interface OtaImage {
  form: 'afr_ota' | 'simple';
  url: string;
  size: number;
  /** SHA-256 of the image (simple form only). */
  sha256: Uint8Array | undefined;
  /** DER ECDSA P-256 signature over SHA-256 of the image. */
  signature: Uint8Array;
  /** Key-store label of the code-signing key (certificate or public key). */
  signingKeyLabel: string;
  /** Version of the offered image (simple form only). */
  version: string | undefined;
  /** afr_ota details kept for logs and status. */
  fileId?: number;
  filePath?: string;
  certFile?: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** True for a document in either OTA form (it may still be invalid). */
export function isOtaDocument(document: unknown): boolean {
  return isObject(document) && (isObject(document.ota) || isObject(document.afr_ota));
}

/** Parses either form; throws OtaDocumentError naming the field that is wrong. */
export function parseOtaDocument(document: unknown): OtaImage {
  if (!isObject(document)) throw new OtaDocumentError(`expected an OTA job document object, got ${describe(document)}`);
  if (isObject(document.ota)) return parseSimple(document.ota);
  if (isObject(document.afr_ota)) return parseAfrOta(document.afr_ota);
  throw new OtaDocumentError('expected an "ota" or "afr_ota" object in the job document');
}

function parseSimple(ota: Json): OtaImage {
  const version = requireString(ota, 'version', 'ota');
  try {
    parseVersion(version);
  } catch (error) {
    throw new OtaDocumentError(`ota.version: ${(error as Error).message}`);
  }
  const sha256Hex = requireString(ota, 'sha256', 'ota');
  if (!/^[0-9a-fA-F]{64}$/.test(sha256Hex)) {
    throw new OtaDocumentError(`expected ota.sha256 to be 64 hex digits, got ${JSON.stringify(sha256Hex.slice(0, 80))}`);
  }
  const signingKey = ota.signingKey === undefined ? Labels.codeSignCert : requireString(ota, 'signingKey', 'ota');
  return {
    form: 'simple',
    url: requireUrl(ota, 'url', 'ota'),
    size: requireSize(ota, 'size', 'ota'),
    sha256: decodeHex(sha256Hex),
    signature: requireSignature(ota, 'signature', 'ota'),
    signingKeyLabel: signingKey,
    version,
  };
}

function parseAfrOta(afr: Json): OtaImage {
  const protocols = afr.protocols;
  if (!Array.isArray(protocols) || !protocols.every((p) => typeof p === 'string')) {
    throw new OtaDocumentError(`expected afr_ota.protocols to be an array of strings, got ${describe(protocols)}`);
  }
  if (!protocols.includes('HTTP')) {
    throw new OtaDocumentError(`afr_ota.protocols is ${JSON.stringify(protocols)}; this agent downloads over HTTP only`);
  }
  const files = afr.files;
  if (!Array.isArray(files) || files.length === 0) {
    throw new OtaDocumentError(`expected afr_ota.files to be a non-empty array, got ${describe(files)}`);
  }
  // The AWS library handles exactly one file per job (OTA_MAX_FILES "MUST REMAIN 1").
  if (files.length > 1) throw new OtaDocumentError(`expected one file in afr_ota.files, got ${files.length}`);
  const file = files[0];
  if (!isObject(file)) throw new OtaDocumentError(`expected afr_ota.files[0] to be an object, got ${describe(file)}`);
  const where = 'afr_ota.files[0]';
  const fileId = file.fileid;
  if (!(Number.isInteger(fileId) && (fileId as number) >= 0 && (fileId as number) <= 255)) {
    throw new OtaDocumentError(`expected ${where}.fileid to be an integer 0..255, got ${describe(fileId)}`);
  }
  const authScheme = file.auth_scheme;
  if (authScheme !== undefined && authScheme !== 'aws.s3.presigned') {
    throw new OtaDocumentError(`unsupported ${where}.auth_scheme ${JSON.stringify(authScheme)}`);
  }
  const image: OtaImage = {
    form: 'afr_ota',
    url: requireUrl(file, 'update_data_url', where),
    size: requireSize(file, 'filesize', where),
    sha256: undefined,
    signature: requireSignature(file, 'sig-sha256-ecdsa', where),
    signingKeyLabel: Labels.codeSignCert,
    version: undefined,
    fileId: fileId as number,
  };
  if (typeof file.filepath === 'string') image.filePath = file.filepath;
  if (typeof file.certfile === 'string') image.certFile = file.certfile;
  return image;
}

function requireString(object: Json, key: string, where: string): string {
  const value = object[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new OtaDocumentError(`expected ${where}.${key} to be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function requireUrl(object: Json, key: string, where: string): string {
  const url = requireString(object, key, where);
  if (url.startsWith('${aws:iot:s3-presigned-url')) {
    throw new OtaDocumentError(`${where}.${key} is an unresolved presigned-URL placeholder`);
  }
  if (!/^https?:\/\/[^/\s]+/.test(url)) throw new OtaDocumentError(`expected ${where}.${key} to be an http(s) URL, got ${JSON.stringify(url.slice(0, 80))}`);
  if (url.length > MAX_URL_LENGTH) throw new OtaDocumentError(`${where}.${key} is ${url.length} characters, limit ${MAX_URL_LENGTH}`);
  return url;
}

function requireSize(object: Json, key: string, where: string): number {
  const size = object[key];
  if (!(Number.isSafeInteger(size) && (size as number) > 0)) {
    throw new OtaDocumentError(`expected ${where}.${key} to be a positive integer, got ${describe(size)}`);
  }
  return size as number;
}

function requireSignature(object: Json, key: string, where: string): Uint8Array {
  const text = requireString(object, key, where);
  let der: Uint8Array;
  try {
    der = decodeBase64(text);
  } catch (error) {
    throw new OtaDocumentError(`${where}.${key} is not base64: ${(error as Error).message}`);
  }
  if (der.length < 8 || der.length > MAX_SIGNATURE_BYTES || der[0] !== 0x30) {
    throw new OtaDocumentError(`expected ${where}.${key} to be a DER ECDSA signature, got ${der.length} bytes starting 0x${(der[0] ?? 0).toString(16)}`);
  }
  return der;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
