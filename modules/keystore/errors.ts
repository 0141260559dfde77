/**
 * Key store errors. Their messages name labels, classes, key types and byte offsets, never key bytes:
 * an error can end up in a log line or a cloud report.
 */
import { SdkError } from '../util/errors.js';
import type { KeyType, ObjectClass, SignMechanism } from '../../platform/pal/index.js';

export class KeyStoreError extends SdkError {}

export class ObjectNotFoundError extends KeyStoreError {
  constructor(readonly label: string, readonly objectClass: ObjectClass | 'key pair' | 'certificate or public key') {
    super(`no ${objectClass} labelled "${label}" in the key store`);
  }
}

export class UnsupportedKeyTypeError extends KeyStoreError {
  constructor(readonly keyType: string, readonly operation: string, readonly supported: readonly string[]) {
    super(`${operation} does not support key type ${keyType} on this platform (supported: ${supported.join(', ') || 'none'})`);
  }
}

export class MechanismMismatchError extends KeyStoreError {
  constructor(readonly label: string, readonly mechanism: SignMechanism, readonly keyType: KeyType | undefined) {
    super(`mechanism ${mechanism} cannot sign with the ${keyType ?? 'untyped'} key "${label}"`);
  }
}

/** Key or certificate data that does not parse; says where and why, without echoing the data. */
export class InvalidKeyDataError extends KeyStoreError {
  constructor(readonly what: string, readonly reason: string) {
    super(`invalid ${what}: ${reason}`);
  }
}

/** Refused access to private key bytes through a path meant for public objects. */
export class PrivateKeyAccessError extends KeyStoreError {
  constructor(readonly label: string) {
    super(`private key "${label}" cannot be read out of the key store`);
  }
}

export class InvalidLabelError extends KeyStoreError {
  constructor(readonly label: unknown) {
    super(`expected a key store label of 1-64 printable characters, got ${typeof label === 'string' ? JSON.stringify(label.slice(0, 80)) : typeof label}`);
  }
}

export const MAX_LABEL_LENGTH = 64;

export function checkLabel(label: unknown): asserts label is string {
  if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL_LENGTH || /[\u0000-\u001f\u007f]/.test(label)) {
    throw new InvalidLabelError(label);
  }
}
