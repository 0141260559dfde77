/** The portable key store: public surface. */
export { KeyStore, type KeyStoreOptions } from './keystore.js';
export { SoftwareKeyStoreBackend, type SoftwareKeyStoreBackendOptions } from './software-backend.js';
export { Labels, type KeyObjectInfo, type KeyStoreApi, type KeyType, type ObjectClass, type SignMechanism } from './types.js';
export {
  KeyStoreError,
  ObjectNotFoundError,
  UnsupportedKeyTypeError,
  MechanismMismatchError,
  InvalidKeyDataError,
  PrivateKeyAccessError,
  InvalidLabelError,
} from './errors.js';
export { keyIdOf, keyTypeOfSpki, spkiOfCertificate, parseCertificate, parsePublicKey } from './key-formats.js';
