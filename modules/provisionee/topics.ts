/** The AWS IoT fleet provisioning MQTT topics (fleet-provision-api.html), for one payload format. */
import { ArgumentError } from '../util/errors.js';

export type PayloadFormat = 'json' | 'cbor';

export interface OperationTopics {
  request: string;
  accepted: string;
  rejected: string;
}

/** AWS's limit on provisioning template names (FP_TEMPLATENAME_MAX_LENGTH). */
export const MAX_TEMPLATE_NAME_LENGTH = 36;

function operation(request: string): OperationTopics {
  return { request, accepted: `${request}/accepted`, rejected: `${request}/rejected` };
}

export function createKeysAndCertificateTopics(format: PayloadFormat): OperationTopics {
  return operation(`$aws/certificates/create/${format}`);
}

export function createCertificateFromCsrTopics(format: PayloadFormat): OperationTopics {
  return operation(`$aws/certificates/create-from-csr/${format}`);
}

export function registerThingTopics(templateName: string, format: PayloadFormat): OperationTopics {
  if (!/^[0-9A-Za-z_-]{1,36}$/.test(templateName)) {
    throw new ArgumentError(`expected a template name of 1..${MAX_TEMPLATE_NAME_LENGTH} characters [0-9A-Za-z_-], got ${JSON.stringify(templateName)}`);
  }
  return operation(`$aws/provisioning-templates/${templateName}/provision/${format}`);
}
