/** Public surface of the jobs handler. */
export { JobsHandler, MAX_JOB_DOCUMENT_BYTES, type JobsHandlerDeps } from './jobs-handler.js';
export { JobsRequestRejectedError, JobsHandlerStoppedError } from './errors.js';
export { JobsTopics, isValidJobId } from './topics.js';
export {
  JobStatus,
  JobsErrorCode,
  isTerminalStatus,
  type DeviceJobStatus,
  type Job,
  type JobDocumentResult,
  type JobEndedListener,
  type JobExecution,
  type JobExecutionState,
  type JobsHandlerConfig,
  type JobsHandlerCounters,
  type StatusDetails,
  type UpdateJobOptions,
} from './types.js';
