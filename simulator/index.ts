/**
 * mi-cloud, the local managed-integrations cloud, as a library:
 *
 *   const cloud = await startCloud({ dataDir: '/tmp/cloud' });
 *   const profile = await cloud.createProvisioningProfile({ name: 'MyProfile' });
 *   const thing = cloud.createManagedThing({ serialNumber: 'SN1', upc: '012345678905' });
 *   ...
 *   await cloud.stop();
 *
 * See simulator/README.md for every operation, event, CLI command and HTTP route.
 */
import { Cloud, type StartCloudOptions } from './cloud.js';

export { Cloud, type CloudAddresses, type StartCloudOptions } from './cloud.js';
export type { CloudEvents, CreateManagedThingRequest, UpdateManagedThingRequest } from './core.js';
export { CAPABILITY_REPORT_LIMITS, capabilityReportProblem, DATA_TOPICS, type SendCommandResult } from './data-plane.js';
export { CloudApiError, CommandTimeoutError } from './errors.js';
export type { CreateJobRequest } from './jobs.js';
export type { CreateOtaTaskRequest } from './ota.js';
export { canPublish, canSubscribe, rulesFor, type Identity } from './policy.js';
export type { CertificateStatus, ExecutionStatus } from './registry.js';
export { signFirmware, type OtaJobDocument } from './sign-firmware.js';

/** Starts a cloud (broker, fleet provisioning, data plane, jobs/OTA, HTTP API, firmware server). */
export function startCloud(options: StartCloudOptions): Promise<Cloud> {
  return Cloud.start(options);
}
