/**
 * Jobs + OTA as one device component (it fits the agent's AgentComponent seam: `createAgent({
 * components: [createOtaComponent({...})] })`): starts the jobs handler, settles what the last boot
 * left (self-test, rollback report), then runs the job loop of the seed's prvJobsHandlerThread —
 * getJobDocument with a timeout, pollJobDocument on timeout, OTA documents to the OTA agent, other
 * jobs to the application.
 */
import type { Platform } from '../../platform/pal/index.js';
import type { MqttClient } from '../mqtt/types.js';
import { JobsHandler, type Job, type JobsHandlerConfig } from '../jobs/index.js';
import { OtaAgent, type OtaAgentOptions, type OtaBootOutcome, type OtaOutcome } from './ota-agent.js';

export interface OtaComponentOptions extends Omit<OtaAgentOptions, 'platform' | 'jobs'> {
  jobs?: Omit<JobsHandlerConfig, 'thingName'>;
  /** How long one getJobDocument waits before polling StartNext again. Default 30,000 ms. */
  pollIntervalMs?: number;
  /** Jobs that are not OTA documents; by default they are REJECTED. */
  onOtherJob?: (job: Job, jobs: JobsHandler) => Promise<void>;
  onOutcome?: (outcome: OtaOutcome | OtaBootOutcome) => void;
}

export interface OtaComponentContext {
  platform: Platform;
  mqtt: MqttClient;
  thingName: string;
}

export class OtaComponent {
  readonly name = 'ota';
  readonly #options: OtaComponentOptions;
  #jobs: JobsHandler | undefined;
  #ota: OtaAgent | undefined;
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(options: OtaComponentOptions) {
    this.#options = options;
  }

  get jobs(): JobsHandler | undefined {
    return this.#jobs;
  }

  get ota(): OtaAgent | undefined {
    return this.#ota;
  }

  async start(context: OtaComponentContext): Promise<void> {
    const { platform, mqtt, thingName } = context;
    const jobs = new JobsHandler({ mqtt, platform });
    await jobs.start({ ...this.#options.jobs, thingName });
    const ota = new OtaAgent({ ...this.#options, platform, jobs });
    this.#jobs = jobs;
    this.#ota = ota;
    this.#running = true;
    // Not `onOutcome?.(await ota.start())`: an optional call skips its arguments when there is no
    // callback, and the boot settling (self-test, rollback report) must run either way.
    const bootOutcome = await ota.start();
    this.#options.onOutcome?.(bootOutcome);
    this.#loop = this.#run(jobs, ota, platform);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#jobs?.stop();
    await this.#loop;
  }

  async #run(jobs: JobsHandler, ota: OtaAgent, platform: Platform): Promise<void> {
    const pollIntervalMs = this.#options.pollIntervalMs ?? 30_000;
    while (this.#running) {
      const result = await jobs.getJobDocument(pollIntervalMs);
      if (result.kind === 'stopped') return;
      if (result.kind === 'timeout') {
        jobs.pollJobDocument().catch(() => undefined);
        continue;
      }
      const { job } = result;
      try {
        if (OtaAgent.accepts(job.document)) {
          // Process first, then tell the optional listener (see start()).
          const outcome = await ota.process(job);
          this.#options.onOutcome?.(outcome);
        } else if (this.#options.onOtherJob) {
          await this.#options.onOtherJob(job, jobs);
        } else {
          await jobs.updateJobStatus(job.jobId, 'REJECTED', { reason: 'not an OTA job and the application handles no other jobs' });
        }
      } catch (error) {
        platform.log.log('error', 'ota', 'job processing failed', { jobId: job.jobId, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}

export function createOtaComponent(options: OtaComponentOptions): OtaComponent {
  return new OtaComponent(options);
}
