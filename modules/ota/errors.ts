/** Errors of the OTA agent, each naming what was expected and what came. */
import { SdkError } from '../util/errors.js';

/** The job document is not an OTA document this agent can act on. */
export class OtaDocumentError extends SdkError {}

/** The image's size differs from the job's, or does not fit the slot. */
export class ImageSizeError extends SdkError {
  constructor(readonly expected: number, readonly actual: number, detail: string) {
    super(`image size mismatch: ${detail} (expected ${expected} bytes, got ${actual})`);
  }
}

/** SHA-256 of the downloaded image differs from the job document's. */
export class DigestMismatchError extends SdkError {
  constructor(readonly expectedHex: string, readonly actualHex: string) {
    super(`SHA-256 mismatch: expected ${expectedHex}, got ${actualHex}`);
  }
}

/** The ECDSA P-256 signature does not verify with the code-signing key. */
export class SignatureMismatchError extends SdkError {
  constructor(readonly keyLabel: string) {
    super(`image signature does not verify with code-signing key "${keyLabel}"`);
  }
}

/** The code-signing key is missing, not trusted, or not an EC P-256 key. */
export class SigningKeyError extends SdkError {}

/** The job would install an older (or the same) version and downgrades are not allowed. */
export class DowngradeError extends SdkError {
  constructor(readonly running: string, readonly offered: string) {
    super(
      running === offered
        ? `version ${offered} is already running`
        : `downgrade from ${running} to ${offered} not allowed`,
    );
  }
}

/** The download failed for good (HTTP status, retries used up). */
export class DownloadError extends SdkError {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}

/** The job ended (cancelled, removed, timed out) while the agent worked on it. */
export class OtaCancelledError extends SdkError {
  constructor(readonly jobId: string, readonly status: string | undefined) {
    super(`job ${jobId} ended with status ${status ?? 'unknown'} during the update`);
  }
}

/** The agent cannot take a job in its current state (busy, or running an unverified image). */
export class OtaStateError extends SdkError {}
