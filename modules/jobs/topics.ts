/**
 * The reserved Jobs topics for one thing (reserved-topics.html#reserved-topics-job). Every request is
 * answered on `<request topic>/accepted` or `/rejected`.
 */
import { ArgumentError } from '../util/errors.js';
import type { TextCodec } from '../../platform/pal/index.js';

const THING_NAME = /^[a-zA-Z0-9:_-]+$/;
const JOB_ID = /^[a-zA-Z0-9_-]+$/;
export const MAX_THING_NAME_BYTES = 128;
export const MAX_JOB_ID_LENGTH = 64;

export function validateThingName(thingName: string, text: TextCodec): void {
  const bytes = text.encode(thingName).length;
  if (bytes === 0 || bytes > MAX_THING_NAME_BYTES || !THING_NAME.test(thingName)) {
    throw new ArgumentError(
      `expected a thing name of 1..${MAX_THING_NAME_BYTES} bytes of [a-zA-Z0-9:_-], got ${JSON.stringify(thingName)}`,
    );
  }
}

export function isValidJobId(jobId: string): boolean {
  return jobId.length >= 1 && jobId.length <= MAX_JOB_ID_LENGTH && JOB_ID.test(jobId);
}

export function validateJobId(jobId: string): void {
  if (!isValidJobId(jobId)) {
    throw new ArgumentError(`expected a job id of 1..${MAX_JOB_ID_LENGTH} characters [a-zA-Z0-9_-], got ${JSON.stringify(jobId)}`);
  }
}

export class JobsTopics {
  readonly prefix: string;

  constructor(readonly thingName: string) {
    this.prefix = `$aws/things/${thingName}/jobs`;
  }

  get notifyNext(): string {
    return `${this.prefix}/notify-next`;
  }

  get startNext(): string {
    return `${this.prefix}/start-next`;
  }

  get getPending(): string {
    return `${this.prefix}/get`;
  }

  /** DescribeJobExecution; `jobId` may be `$next`. */
  describe(jobId: string): string {
    return `${this.prefix}/${jobId}/get`;
  }

  update(jobId: string): string {
    return `${this.prefix}/${jobId}/update`;
  }

  /** Filters for every response the handler correlates (`+` also matches `$next`). */
  get responseFilters(): string[] {
    const p = this.prefix;
    return [
      `${p}/start-next/accepted`,
      `${p}/start-next/rejected`,
      `${p}/get/accepted`,
      `${p}/get/rejected`,
      `${p}/+/get/accepted`,
      `${p}/+/get/rejected`,
      `${p}/+/update/accepted`,
      `${p}/+/update/rejected`,
    ];
  }
}
