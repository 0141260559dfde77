/**
 * Types of the AWS IoT Jobs device MQTT API (jobs-mqtt-api.html, jobs-mqtt-https-api.html) and of
 * the jobs handler's public surface.
 */

/** Every job execution status the service reports. */
export const JobStatus = {
  Queued: 'QUEUED',
  InProgress: 'IN_PROGRESS',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  TimedOut: 'TIMED_OUT',
  Rejected: 'REJECTED',
  Removed: 'REMOVED',
  Canceled: 'CANCELED',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** The statuses a device may send in UpdateJobExecution (the C API's JobInProgress/Failed/Succeeded/Rejected). */
export type DeviceJobStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'REJECTED';

const TERMINAL: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'REJECTED', 'REMOVED', 'CANCELED']);

/** SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED: the execution will not change again. */
export function isTerminalStatus(status: string): boolean {
  return TERMINAL.has(status);
}

/** `statusDetails`: a map of strings (the service stores and echoes strings only). */
export type StatusDetails = Record<string, string>;

/** ErrorResponse codes on `/rejected` topics (jobs-api.html). */
export const JobsErrorCode = {
  InvalidTopic: 'InvalidTopic',
  InvalidJson: 'InvalidJson',
  InvalidRequest: 'InvalidRequest',
  InvalidStateTransition: 'InvalidStateTransition',
  ResourceNotFound: 'ResourceNotFound',
  VersionMismatch: 'VersionMismatch',
  InternalError: 'InternalError',
  RequestThrottled: 'RequestThrottled',
  TerminalStateReached: 'TerminalStateReached',
} as const;
export type JobsErrorCode = (typeof JobsErrorCode)[keyof typeof JobsErrorCode];

/** A JobExecution as StartNext/Describe/notify-next carry it. */
export interface JobExecution {
  jobId: string;
  thingName?: string;
  jobDocument?: unknown;
  status: JobStatus;
  statusDetails?: StatusDetails;
  queuedAt?: number;
  startedAt?: number;
  lastUpdatedAt?: number;
  versionNumber?: number;
  executionNumber?: number;
  approximateSecondsBeforeTimedOut?: number;
}

/** `executionState` in UpdateJobExecution responses and in VersionMismatch/InvalidStateTransition errors. */
export interface JobExecutionState {
  status: JobStatus;
  statusDetails?: StatusDetails;
  versionNumber?: number;
}

/** A job handed to the application by `getJobDocument`. */
export interface Job {
  jobId: string;
  /** The job document as parsed JSON (an object for AWS IoT over MQTT). */
  document: unknown;
  /** The job document as JSON text, as the C API hands it out. */
  documentText: string;
  /** Size of `documentText` in UTF-8 bytes (at most 32,768). */
  documentBytes: number;
  status: JobStatus;
  statusDetails: StatusDetails;
  versionNumber: number | undefined;
  executionNumber: number | undefined;
}

/** What `getJobDocument` resolves with. */
export type JobDocumentResult =
  | { kind: 'job'; job: Job }
  | { kind: 'timeout' }
  /** The handler was stopped and its queue is empty. */
  | { kind: 'stopped' };

export interface JobsHandlerConfig {
  /** The thing (managed thing) name in the Jobs topics; at most 128 bytes of `[a-zA-Z0-9:_-]`. */
  thingName: string;
  /** Jobs received but not yet taken by `getJobDocument` (the C config's jobsQueueSize). Default 10. */
  queueSize?: number;
  /** Sent with StartNext and with IN_PROGRESS updates; the job times out if a step takes longer. */
  stepTimeoutInMinutes?: number;
  /** How long to wait for `/accepted` or `/rejected` of one request. Default 10,000 ms. */
  requestTimeoutMs?: number;
  /** Largest job document accepted, in UTF-8 bytes. Default and maximum 32,768 (the AWS IoT limit). */
  maxDocumentBytes?: number;
}

export interface UpdateJobOptions {
  /** Overrides the configured step timeout for this update (IN_PROGRESS only). */
  stepTimeoutInMinutes?: number;
}

/** A job execution ended without the application reporting it (cancelled, removed, timed out). */
export type JobEndedListener = (jobId: string, status: JobStatus | undefined) => void;

export interface JobsHandlerCounters {
  /** notify-next messages received. */
  notifications: number;
  /** Jobs queued for the application. */
  queued: number;
  /** Deliveries of a job that was already queued or being processed; not queued again. */
  duplicates: number;
  /** VersionMismatch rejections that were retried with the service's version. */
  versionRetries: number;
  /** Jobs refused by the handler (document too large or malformed). */
  refused: number;
}
