/** Public surface of the OTA agent. */
export {
  OtaAgent,
  type OtaAgentOptions,
  type OtaBootOutcome,
  type OtaEvent,
  type OtaJobsApi,
  type OtaOutcome,
  type OtaPlatform,
} from './ota-agent.js';
export { isOtaDocument, parseOtaDocument, type OtaImage } from './document.js';
export { compareVersions, parseVersion } from './version.js';
export { verifyImageSignature } from './signature.js';
export { p256PointFromSpki, spkiFromCertificate } from './code-signing-key.js';
export { createImageCheck, createSha256, type ImageCheck } from './digest.js';
export { ImageDownload, type DownloadRequest, type DownloadStats } from './downloader.js';
export { OTA_STATE_KEY, OtaStateStore, type OtaState } from './state.js';
export {
  DigestMismatchError,
  DowngradeError,
  DownloadError,
  ImageSizeError,
  OtaCancelledError,
  OtaDocumentError,
  OtaStateError,
  SignatureMismatchError,
  SigningKeyError,
} from './errors.js';
export { OtaComponent, createOtaComponent, type OtaComponentOptions, type OtaComponentContext } from './ota-component.js';
