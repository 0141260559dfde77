/**
 * The OTA agent: takes an OTA job from the jobs handler, downloads the image into the inactive
 * firmware slot (resuming after power loss), verifies size, SHA-256 and the ECDSA P-256 signature
 * with the code-signing key from the key store, switches the boot slot and reboots; on the first
 * boot of the new image it runs the application's self-test and marks the image valid (SUCCEEDED)
 * or rolls back (FAILED). A bad image is never activated; a cancelled job leaves the running image
 * alone.
 *
 * Status reported to the job (statusDetails, strings as the service stores them):
 *   IN_PROGRESS {step:"download", receive:"<bytes>/<size>"}   at start and every `progressStepPercent`
 *   IN_PROGRESS {step:"self-test", self_test:"ready", updatedBy:"<running version>"}   before the reboot
 *   IN_PROGRESS {step:"self-test", self_test:"active"}   on the new image, before the self-test
 *   SUCCEEDED {reason:"accepted v<version>"} | FAILED {reason:"..."} | REJECTED {reason:"..."}
 *
 * Application loop: `await ota.start()` once after the jobs handler started, then for each job
 * whose document `isOtaDocument()`, `await ota.process(job)`.
 */
import type { BootState, Platform, SlotName, TlsCredentials } from '../../platform/pal/index.js';
import { encodeBase64 } from '../codec/base64.js';
import { encodeHex } from '../codec/hex.js';
import type { Job, JobEndedListener, JobExecution, JobExecutionState, StatusDetails, DeviceJobStatus } from '../jobs/index.js';
import { isTerminalStatus, JobsRequestRejectedError } from '../jobs/index.js';
import type { KeyStoreApi } from '../keystore/types.js';
import { Labels } from '../keystore/types.js';
import { ArgumentError } from '../util/errors.js';
import { p256PointFromSpki, spkiFromCertificate } from './code-signing-key.js';
import { createImageCheck } from './digest.js';
import { isOtaDocument, parseOtaDocument, type OtaImage } from './document.js';
import { ImageDownload, type DownloadStats } from './downloader.js';
import {
  DigestMismatchError,
  DowngradeError,
  ImageSizeError,
  OtaCancelledError,
  OtaDocumentError,
  OtaStateError,
  SignatureMismatchError,
  SigningKeyError,
} from './errors.js';
import { OtaStateStore, type ActivationState, type DownloadingState, type ReportState } from './state.js';
import { compareVersions, parseVersion } from './version.js';

/** The part of the jobs handler the agent uses. */
export interface OtaJobsApi {
  updateJobStatus(jobId: string, status: DeviceJobStatus, statusDetails?: StatusDetails): Promise<JobExecutionState>;
  addJobEndedListener(listener: JobEndedListener): () => void;
  /** DescribeJobExecution: used to get a fresh presigned URL when the current one is refused. */
  describeJob?(jobId: string, includeJobDocument?: boolean): Promise<JobExecution | undefined>;
}

export type OtaPlatform = Pick<Platform, 'storage' | 'slots' | 'http' | 'timers' | 'random' | 'text' | 'log' | 'system' | 'digest'>;

export interface OtaAgentOptions {
  platform: OtaPlatform;
  jobs: OtaJobsApi;
  keyStore: Pick<KeyStoreApi, 'getPublicKey' | 'getCertificate'>;
  /** The version of the running firmware (from the application config). */
  firmwareVersion: string;
  /** Install older (or equal) versions too. Default false. */
  allowDowngrade?: boolean;
  /** Key-store labels a job may name as its signing key. Default: only `Code Sign Cert`. */
  trustedSigningKeys?: readonly string[];
  /**
   * Download block: the unit of persisted progress, so a power loss costs at most one block of
   * download. Default 256 KiB (each block costs a storage write before the next block is read; see
   * README "Download").
   */
  blockSize?: number;
  /** Bytes hashed and written to flash at a time (the download's RAM buffer). Default min(blockSize, 64 KiB). */
  writeSize?: number;
  /** Report download progress every this many percent. Default 10. */
  progressStepPercent?: number;
  /** The application's self-test on the first boot of a new image: false or a throw fails it. */
  selfTest?: () => boolean | void | Promise<boolean | void>;
  /** Default 16,000 ms (otaconfigSELF_TEST_RESPONSE_WAIT_MS). */
  selfTestTimeoutMs?: number;
  /** TLS for https firmware URLs (CA, optional client certificate). */
  tls?: TlsCredentials;
  /** Connect/stall timeout of each HTTP request. Default 30,000 ms. */
  httpTimeoutMs?: number;
  /** Consecutive download attempts without progress before the job fails. Default 5. */
  maxDownloadAttempts?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
  onEvent?: (event: OtaEvent) => void;
}

export type OtaEvent =
  | { type: 'download-started'; jobId: string; offset: number; size: number; slot: SlotName }
  | { type: 'progress'; jobId: string; bytesWritten: number; size: number }
  | { type: 'verified'; jobId: string }
  | { type: 'activating'; jobId: string; slot: SlotName }
  | { type: 'self-test'; jobId: string; passed: boolean; reason?: string }
  | { type: 'finished'; jobId: string; status: string; reason?: string };

/** What `process` resolves with (it does not resolve when it reboots into the new image). */
export type OtaOutcome =
  | { status: 'SUCCEEDED' | 'FAILED' | 'REJECTED'; jobId: string; reason: string; reported: boolean }
  | { status: 'cancelled'; jobId: string; jobStatus: string | undefined };

/** What `start` found and did after boot. */
export type OtaBootOutcome =
  | { kind: 'none' }
  | { kind: 'download-pending'; jobId: string; bytesWritten: number; size: number }
  | { kind: 'accepted'; jobId: string; version: string; reported: boolean }
  | { kind: 'rolled-back'; jobId: string; reason: string; reported: boolean }
  | { kind: 'reported'; jobId: string; status: DeviceJobStatus }
  | { kind: 'report-pending'; jobId: string };

const DEFAULT_BLOCK_SIZE = 256 * 1024;

export class OtaAgent {
  readonly #o: OtaAgentOptions;
  readonly #store: OtaStateStore;
  readonly #blockSize: number;
  readonly #trusted: readonly string[];
  #started: Promise<OtaBootOutcome> | undefined;
  #busy = false;
  #progressRunning: Promise<void> | undefined;
  #progressNext: { jobId: string; details: StatusDetails } | undefined;
  /** Statistics of the last download run (for status pages, tests and benchmarks). */
  lastDownload: DownloadStats | undefined;

  /** True if a job document is an OTA document (either form); other jobs are the application's. */
  static accepts(document: unknown): boolean {
    return isOtaDocument(document);
  }

  constructor(options: OtaAgentOptions) {
    parseVersion(options.firmwareVersion);
    const flashBlock = options.platform.slots.blockSize;
    const blockSize = options.blockSize ?? Math.max(DEFAULT_BLOCK_SIZE, flashBlock);
    if (!(blockSize > 0 && blockSize % flashBlock === 0)) {
      throw new ArgumentError(`expected blockSize to be a positive multiple of the flash block size ${flashBlock}, got ${blockSize}`);
    }
    const writeSize = options.writeSize;
    if (writeSize !== undefined && !(Number.isInteger(writeSize) && writeSize > 0 && blockSize % writeSize === 0)) {
      throw new ArgumentError(`expected writeSize to divide the block size ${blockSize}, got ${writeSize}`);
    }
    const step = options.progressStepPercent ?? 10;
    if (!(step > 0 && step <= 100)) throw new ArgumentError(`expected progressStepPercent in (0, 100], got ${step}`);
    this.#o = options;
    this.#blockSize = blockSize;
    this.#trusted = options.trustedSigningKeys ?? [Labels.codeSignCert];
    this.#store = new OtaStateStore(options.platform.storage, options.platform.text);
  }

  get blockSize(): number {
    return this.#blockSize;
  }

  /**
   * Settles what the previous run left: the first boot of a new image (self-test, then mark valid or
   * roll back and reboot), a rollback to report, a verdict not yet reported. Call once at boot after
   * the jobs handler started; `process` calls it if the application did not.
   */
  start(): Promise<OtaBootOutcome> {
    this.#started ??= this.#settle();
    return this.#started;
  }

  /** Runs one OTA job to its end. Resolves with the verdict, or reboots into the new image. */
  async process(job: Job): Promise<OtaOutcome> {
    if (this.#busy) throw new OtaStateError(`cannot take job ${job.jobId}: another OTA job is running`);
    this.#busy = true;
    try {
      // The jobs handler may hand out the job that start() has just settled (StartNext at boot
      // returns it while it is still IN_PROGRESS); its verdict is with the service already.
      const settled = settledVerdict(await this.start(), job.jobId);
      if (settled) return settled;
      return await this.#process(job);
    } finally {
      this.#busy = false;
    }
  }

  // ---- after boot ----

  async #settle(): Promise<OtaBootOutcome> {
    const state = await this.#store.load();
    if (!state) return { kind: 'none' };
    const boot = await this.#o.platform.slots.bootState();
    switch (state.phase) {
      case 'downloading':
        // Resumes when the jobs service hands the job out again.
        return { kind: 'download-pending', jobId: state.jobId, bytesWritten: state.bytesWritten, size: state.size };
      case 'report': {
        const reported = await this.#deliver(state);
        return reported ? { kind: 'reported', jobId: state.jobId, status: state.status } : { kind: 'report-pending', jobId: state.jobId };
      }
      case 'activating':
      case 'self-testing':
        return this.#settleActivation(state, boot);
    }
  }

  async #settleActivation(state: ActivationState, boot: BootState): Promise<OtaBootOutcome> {
    const { platform } = this.#o;
    if (boot.running === state.slot) {
      if (!boot.pendingVerify) {
        // Marked valid before the verdict was recorded: report it now.
        return this.#accepted(state);
      }
      if (state.phase === 'self-testing') {
        // A platform whose boot loader does not roll back by itself: a reset during the self-test fails it.
        return this.#rejected(state, 'the device reset during the self-test');
      }
      return this.#selfTest(state);
    }
    if (state.phase === 'activating' && boot.nextBoot === state.slot) {
      // The boot slot was switched but the reset never came (power cut): reboot now.
      await platform.system.reboot(`OTA job ${state.jobId}: activating slot ${state.slot}`);
    }
    const reason =
      state.phase === 'self-testing'
        ? `the new image reset before it was marked valid; rolled back to slot ${boot.running}`
        : `the new image never reached its self-test; rolled back to slot ${boot.running}`;
    const report: ReportState = { phase: 'report', jobId: state.jobId, status: 'FAILED', statusDetails: { reason } };
    await this.#store.save(report);
    this.#emit({ type: 'finished', jobId: state.jobId, status: 'FAILED', reason });
    const reported = await this.#deliver(report);
    return { kind: 'rolled-back', jobId: state.jobId, reason, reported };
  }

  async #selfTest(state: ActivationState): Promise<OtaBootOutcome> {
    await this.#store.save({ ...state, phase: 'self-testing' });
    this.#reportProgress(state.jobId, { step: 'self-test', self_test: 'active' });
    const failure = await this.#runSelfTest(state);
    this.#emit({ type: 'self-test', jobId: state.jobId, passed: failure === undefined, ...(failure ? { reason: failure } : {}) });
    if (failure === undefined) {
      await this.#o.platform.slots.markValid();
      return this.#accepted(state);
    }
    return this.#rejected(state, `self-test failed: ${failure}`);
  }

  async #accepted(state: ActivationState): Promise<OtaBootOutcome> {
    const version = this.#o.firmwareVersion;
    const report: ReportState = {
      phase: 'report',
      jobId: state.jobId,
      status: 'SUCCEEDED',
      statusDetails: { reason: `accepted v${version}`, self_test: 'accepted' },
    };
    await this.#store.save(report);
    this.#emit({ type: 'finished', jobId: state.jobId, status: 'SUCCEEDED', reason: report.statusDetails.reason! });
    const reported = await this.#deliver(report);
    return { kind: 'accepted', jobId: state.jobId, version, reported };
  }

  /** Reports FAILED (now if possible, else from the old image), rolls back and reboots. */
  async #rejected(state: ActivationState, reason: string): Promise<OtaBootOutcome> {
    const { platform } = this.#o;
    const report: ReportState = { phase: 'report', jobId: state.jobId, status: 'FAILED', statusDetails: { reason, self_test: 'rejected' } };
    await this.#store.save(report);
    this.#emit({ type: 'finished', jobId: state.jobId, status: 'FAILED', reason });
    const reported = await this.#deliver(report);
    await platform.slots.rollback();
    await platform.system.reboot(`OTA job ${state.jobId}: ${reason}; rolling back to slot ${state.fromSlot}`);
    return { kind: 'rolled-back', jobId: state.jobId, reason, reported };
  }

  /** The reason the new image fails, or undefined when it passes. */
  async #runSelfTest(state: ActivationState): Promise<string | undefined> {
    const running = this.#o.firmwareVersion;
    if (state.version !== undefined && compareVersions(running, state.version) !== 0) {
      return `the image reports version ${running}, the job promised ${state.version}`;
    }
    if (!this.#o.allowDowngrade && compareVersions(running, state.updatedBy) <= 0) {
      return new DowngradeError(state.updatedBy, running).message;
    }
    const hook = this.#o.selfTest;
    if (!hook) return undefined;
    const timeoutMs = this.#o.selfTestTimeoutMs ?? 16_000;
    const { timers } = this.#o.platform;
    let timer: ReturnType<typeof timers.set> | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = timers.set(() => resolve(`the self-test did not finish within ${timeoutMs} ms`), timeoutMs);
    });
    const run = (async () => {
      try {
        return (await hook()) === false ? 'the application self-test returned false' : undefined;
      } catch (error) {
        return `the application self-test threw: ${error instanceof Error ? error.message : String(error)}`;
      }
    })();
    try {
      return await Promise.race([run, timeout]);
    } finally {
      timers.clear(timer);
    }
  }

  // ---- one job ----

  async #process(job: Job): Promise<OtaOutcome> {
    const { jobId } = job;
    const { platform } = this.#o;
    const state = await this.#store.load();
    if (state?.jobId === jobId && state.phase === 'report') {
      // The verdict is known; it only has to reach the service.
      const reported = await this.#deliver(state);
      return { status: state.status === 'SUCCEEDED' ? 'SUCCEEDED' : state.status === 'REJECTED' ? 'REJECTED' : 'FAILED', jobId, reason: state.statusDetails.reason ?? '', reported };
    }
    if (state && state.jobId === jobId && state.phase !== 'downloading') {
      throw new OtaStateError(`job ${jobId} is in phase ${state.phase}; it is settled by start() after boot`);
    }
    if (job.statusDetails.self_test !== undefined) {
      return this.#finish(jobId, 'FAILED', `the device has no record of the self-test (${job.statusDetails.self_test}) of this update`);
    }

    let image: OtaImage;
    try {
      image = parseOtaDocument(job.document);
    } catch (error) {
      if (error instanceof OtaDocumentError) return this.#finish(jobId, 'REJECTED', error.message);
      throw error;
    }
    const boot = await platform.slots.bootState();
    if (boot.pendingVerify) {
      throw new OtaStateError(`slot ${boot.running} is pending verification; it must pass its self-test before another update`);
    }
    const target: SlotName = boot.running === 'A' ? 'B' : 'A';
    const slots = platform.slots;
    if (image.size > slots.slotSize) {
      return this.#finish(jobId, 'FAILED', new ImageSizeError(slots.slotSize, image.size, `the image does not fit the ${slots.slotSize}-byte slot`).message);
    }
    if (image.version !== undefined && !this.#o.allowDowngrade && compareVersions(image.version, this.#o.firmwareVersion) <= 0) {
      return this.#finish(jobId, 'REJECTED', new DowngradeError(this.#o.firmwareVersion, image.version).message);
    }
    if (!this.#trusted.includes(image.signingKeyLabel)) {
      return this.#finish(jobId, 'REJECTED', `signing key "${image.signingKeyLabel}" is not a trusted code-signing key`);
    }
    let publicKey: Uint8Array;
    try {
      publicKey = await this.#signingKey(image.signingKeyLabel);
    } catch (error) {
      return this.#finish(jobId, 'FAILED', `code-signing key "${image.signingKeyLabel}": ${errorText(error)}`);
    }

    const imageId = image.sha256 ? encodeHex(image.sha256) : encodeBase64(image.signature);
    const blockSize = this.#blockSize;
    let offset = 0;
    if (
      state?.phase === 'downloading' &&
      state.jobId === jobId &&
      state.imageId === imageId &&
      state.size === image.size &&
      state.slot === target &&
      state.blockSize === blockSize
    ) {
      offset = Math.min(state.bytesWritten - (state.bytesWritten % blockSize), image.size - (image.size % blockSize));
    }

    // Ack first: a job cancelled before we started is answered with a terminal state here.
    try {
      await this.#o.jobs.updateJobStatus(jobId, 'IN_PROGRESS', { step: 'download', receive: `${offset}/${image.size}` });
    } catch (error) {
      if (isTerminalRejection(error)) return { status: 'cancelled', jobId, jobStatus: (error as JobsRequestRejectedError).executionState?.status };
      platform.log.log('warn', 'ota', 'could not report the download start; continuing', { jobId, error: errorText(error) });
    }

    const progress: DownloadingState = {
      phase: 'downloading',
      jobId,
      slot: target,
      size: image.size,
      imageId,
      blockSize,
      bytesWritten: offset,
      ...(image.version !== undefined ? { version: image.version } : {}),
    };
    const eraseEnd = Math.min(slots.slotSize, roundUp(image.size, slots.blockSize));
    await slots.erase(target, offset, eraseEnd - offset);
    await this.#store.save(progress);
    const check = createImageCheck(platform.digest, publicKey, image.signature, image.sha256 !== undefined);
    for (let at = 0; at < offset; at += blockSize) {
      check.update(await slots.read(target, at, Math.min(blockSize, offset - at)));
    }
    this.#emit({ type: 'download-started', jobId, offset, size: image.size, slot: target });
    platform.log.log('info', 'ota', offset > 0 ? 'resuming download' : 'starting download', { jobId, offset, size: image.size, slot: target });

    const step = this.#o.progressStepPercent ?? 10;
    let lastStep = Math.floor((offset * 100) / image.size / step);
    const download = new ImageDownload({
      http: platform.http,
      slots,
      timers: platform.timers,
      random: platform.random,
      log: platform.log,
      url: image.url,
      ...(this.#o.tls ? { tls: this.#o.tls } : {}),
      timeoutMs: this.#o.httpTimeoutMs ?? 30_000,
      slot: target,
      size: image.size,
      blockSize,
      ...(this.#o.writeSize !== undefined ? { writeSize: this.#o.writeSize } : {}),
      offset,
      hash: check,
      maxAttempts: this.#o.maxDownloadAttempts ?? 5,
      ...(this.#o.retryBaseMs !== undefined ? { retryBaseMs: this.#o.retryBaseMs } : {}),
      ...(this.#o.retryCapMs !== undefined ? { retryCapMs: this.#o.retryCapMs } : {}),
      refreshUrl: () => this.#freshUrl(jobId, imageId, image.size),
      onBlockWritten: async (bytesWritten) => {
        progress.bytesWritten = bytesWritten;
        await this.#store.save(progress);
        this.#emit({ type: 'progress', jobId, bytesWritten, size: image.size });
        const reached = Math.floor((bytesWritten * 100) / image.size / step);
        if (reached > lastStep && bytesWritten < image.size) {
          lastStep = reached;
          this.#reportProgress(jobId, { step: 'download', receive: `${bytesWritten}/${image.size}` });
        }
      },
    });
    const removeListener = this.#o.jobs.addJobEndedListener((endedId, status) => {
      if (endedId === jobId) download.cancel(new OtaCancelledError(jobId, status));
    });
    try {
      this.lastDownload = download.stats;
      await download.run();
    } catch (error) {
      await this.#progressRunning;
      if (error instanceof OtaCancelledError) {
        await this.#store.clear();
        platform.log.log('info', 'ota', 'job ended during the download; running image untouched', { jobId, status: error.status });
        this.#emit({ type: 'finished', jobId, status: 'cancelled', reason: error.message });
        return { status: 'cancelled', jobId, jobStatus: error.status };
      }
      await this.#store.clear();
      return this.#finish(jobId, 'FAILED', errorText(error));
    } finally {
      removeListener();
    }
    await this.#progressRunning;

    // Verify before anything can boot it.
    const { sha256, signatureValid } = check.finish();
    let failure: Error | undefined;
    if (image.sha256 && sha256 && !sameBytes(sha256, image.sha256)) failure = new DigestMismatchError(encodeHex(image.sha256), encodeHex(sha256));
    else if (!signatureValid) failure = new SignatureMismatchError(image.signingKeyLabel);
    if (failure) {
      // Make the slot unbootable as well, so the bad bytes cannot be chosen by mistake.
      await slots.erase(target, 0, slots.blockSize);
      await this.#store.clear();
      return this.#finish(jobId, 'FAILED', failure.message);
    }
    this.#emit({ type: 'verified', jobId });

    const updatedBy = this.#o.firmwareVersion;
    try {
      await this.#o.jobs.updateJobStatus(jobId, 'IN_PROGRESS', { step: 'self-test', self_test: 'ready', updatedBy });
    } catch (error) {
      if (isTerminalRejection(error)) {
        await this.#store.clear();
        return { status: 'cancelled', jobId, jobStatus: (error as JobsRequestRejectedError).executionState?.status };
      }
      platform.log.log('warn', 'ota', 'could not report self_test ready; activating anyway', { jobId, error: errorText(error) });
    }
    const activation: ActivationState = {
      phase: 'activating',
      jobId,
      slot: target,
      fromSlot: boot.running,
      updatedBy,
      ...(image.version !== undefined ? { version: image.version } : {}),
    };
    await this.#store.save(activation);
    await slots.setNextBoot(target);
    this.#emit({ type: 'activating', jobId, slot: target });
    platform.log.log('info', 'ota', 'image verified; rebooting into it', { jobId, slot: target, version: image.version });
    return platform.system.reboot(`OTA job ${jobId}: activating ${image.version ?? 'the new image'} in slot ${target}`);
  }

  /** The URL of the same image in the job document as the service hands it out now. */
  async #freshUrl(jobId: string, imageId: string, size: number): Promise<string | undefined> {
    if (!this.#o.jobs.describeJob) return undefined;
    try {
      const execution = await this.#o.jobs.describeJob(jobId, true);
      const image = parseOtaDocument(execution?.jobDocument);
      const sameImage = (image.sha256 ? encodeHex(image.sha256) : encodeBase64(image.signature)) === imageId && image.size === size;
      return sameImage ? image.url : undefined;
    } catch (error) {
      this.#o.platform.log.log('warn', 'ota', 'could not get a fresh download URL', { jobId, error: errorText(error) });
      return undefined;
    }
  }

  async #signingKey(label: string): Promise<Uint8Array> {
    let spki: Uint8Array;
    try {
      spki = await this.#o.keyStore.getPublicKey(label);
    } catch (publicKeyError) {
      // A key store that keeps certificates apart from keys: read the key from the certificate.
      try {
        spki = spkiFromCertificate(await this.#o.keyStore.getCertificate(label));
      } catch {
        throw new SigningKeyError(`not in the key store (${errorText(publicKeyError)})`);
      }
    }
    return p256PointFromSpki(spki);
  }

  /** Reports a terminal verdict for a job that never reached activation. */
  async #finish(jobId: string, status: 'FAILED' | 'REJECTED', reason: string): Promise<OtaOutcome> {
    this.#o.platform.log.log('warn', 'ota', `job ${status.toLowerCase()}`, { jobId, reason });
    this.#emit({ type: 'finished', jobId, status, reason });
    const report: ReportState = { phase: 'report', jobId, status, statusDetails: { reason } };
    await this.#store.save(report);
    const reported = await this.#deliver(report);
    return { status, jobId, reason, reported };
  }

  /** Sends a persisted verdict; clears it once the service has it (or has the job in a terminal state). */
  async #deliver(report: ReportState): Promise<boolean> {
    await this.#progressRunning;
    try {
      await this.#o.jobs.updateJobStatus(report.jobId, report.status, report.statusDetails);
    } catch (error) {
      if (!(error instanceof JobsRequestRejectedError)) {
        this.#o.platform.log.log('warn', 'ota', 'verdict not delivered; will retry after the next start', { jobId: report.jobId, error: errorText(error) });
        return false;
      }
      // The service refused it for good (job cancelled, removed, already terminal): nothing to retry.
      this.#o.platform.log.log('warn', 'ota', 'verdict refused by the jobs service', { jobId: report.jobId, code: error.code });
    }
    await this.#store.clear();
    return true;
  }

  /** Progress reports run one at a time; while one is in flight only the newest waits. */
  #reportProgress(jobId: string, details: StatusDetails): void {
    this.#progressNext = { jobId, details };
    if (this.#progressRunning) return;
    this.#progressRunning = (async () => {
      for (let next = this.#progressNext; next; next = this.#progressNext) {
        this.#progressNext = undefined;
        try {
          await this.#o.jobs.updateJobStatus(next.jobId, 'IN_PROGRESS', next.details);
        } catch (error) {
          this.#o.platform.log.log('debug', 'ota', 'progress report failed', { jobId: next.jobId, error: errorText(error) });
        }
      }
      this.#progressRunning = undefined;
    })();
  }

  #emit(event: OtaEvent): void {
    try {
      this.#o.onEvent?.(event);
    } catch (error) {
      this.#o.platform.log.log('error', 'ota', 'onEvent threw', { error: errorText(error) });
    }
  }
}

/** The verdict start() reported for `jobId`, if it settled that job and the service has the verdict. */
function settledVerdict(boot: OtaBootOutcome, jobId: string): OtaOutcome | undefined {
  if (boot.kind === 'none' || boot.kind === 'download-pending' || boot.kind === 'report-pending' || boot.jobId !== jobId) return undefined;
  if (boot.kind === 'accepted') return boot.reported ? { status: 'SUCCEEDED', jobId, reason: `accepted v${boot.version}`, reported: true } : undefined;
  if (boot.kind === 'rolled-back') return boot.reported ? { status: 'FAILED', jobId, reason: boot.reason, reported: true } : undefined;
  return boot.status === 'IN_PROGRESS' ? undefined : { status: boot.status, jobId, reason: 'reported after boot', reported: true };
}

function isTerminalRejection(error: unknown): boolean {
  if (!(error instanceof JobsRequestRejectedError)) return false;
  const status = error.executionState?.status;
  return error.code === 'TerminalStateReached' || (status !== undefined && isTerminalStatus(status));
}

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
