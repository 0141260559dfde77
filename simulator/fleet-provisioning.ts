import { randomBytes } from 'node:crypto';
import type { InboundMessage } from './broker.js';
import type { CloudCore } from './core.js';
import { CloudApiError } from './errors.js';
import { decodePayload, encodePayload, PayloadDecodeError, type PayloadFormat } from './payload-format.js';

const CREATE_KEYS = /^\$aws\/certificates\/create\/(json|cbor)$/;
const CREATE_FROM_CSR = /^\$aws\/certificates\/create-from-csr\/(json|cbor)$/;
const REGISTER_THING = /^\$aws\/provisioning-templates\/([^/]+)\/provision\/(json|cbor)$/;

/** A rejected fleet-provisioning request, answered with AWS's `{statusCode, errorCode, errorMessage}`. */
class ProvisioningRejection extends Error {
  constructor(readonly statusCode: number, readonly errorCode: string, message: string) {
    super(message);
  }
}

/**
 * AWS IoT fleet provisioning by claim, over MQTT: CreateKeysAndCertificate, CreateCertificateFromCsr
 * and RegisterThing, in JSON and CBOR, answered on `…/accepted` or `…/rejected`.
 *
 * RegisterThing runs the managed-integrations provisioning hook: `parameters.SerialNumber` and
 * `parameters.UPC` must match a managed thing's authentication material. The certificate becomes ACTIVE
 * and bound to that thing, whose id is returned as `thingName`.
 */
export class FleetProvisioning {
  readonly #core: CloudCore;

  constructor(core: CloudCore) {
    this.#core = core;
  }

  /** True when the message was a fleet-provisioning request (handled, accepted or rejected). */
  handles(topic: string): boolean {
    return CREATE_KEYS.test(topic) || CREATE_FROM_CSR.test(topic) || REGISTER_THING.test(topic);
  }

  async handle(message: InboundMessage): Promise<void> {
    const { topic } = message;
    const format = (CREATE_KEYS.exec(topic)?.[1] ?? CREATE_FROM_CSR.exec(topic)?.[1]
      ?? REGISTER_THING.exec(topic)?.[2]) as PayloadFormat;
    let response: unknown;
    let outcome: 'accepted' | 'rejected' = 'accepted';
    try {
      const request = decodePayload(format, message.payload);
      const profileName = message.identity?.kind === 'claim' ? message.identity.profileName : null;
      if (CREATE_KEYS.test(topic)) response = await this.#createKeysAndCertificate(profileName);
      else if (CREATE_FROM_CSR.test(topic)) response = await this.#createCertificateFromCsr(request, profileName);
      else response = await this.#registerThing(REGISTER_THING.exec(topic)![1]!, request);
    } catch (error) {
      outcome = 'rejected';
      response = error instanceof ProvisioningRejection
        ? { statusCode: error.statusCode, errorCode: error.errorCode, errorMessage: error.message }
        : error instanceof PayloadDecodeError
          ? { statusCode: 400, errorCode: 'InvalidPayload', errorMessage: error.message }
          : error instanceof CloudApiError
            ? { statusCode: error.status, errorCode: 'InvalidPayload', errorMessage: error.message }
            : { statusCode: 500, errorCode: 'InternalFailure', errorMessage: String((error as Error).message) };
    }
    this.#core.emit('provisioning', { topic, outcome, response });
    await message.reply(`${topic}/${outcome}`, encodePayload(format, response));
  }

  async #createKeysAndCertificate(profileName: string | null): Promise<unknown> {
    const issued = await this.#core.ca.issueWithNewKey({
      commonName: newDeviceCommonName(), usage: 'client', algorithm: this.#core.options.deviceKeyAlgorithm,
    });
    const token = await this.#registerPending(issued, profileName);
    return {
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      privateKey: issued.privateKeyPem,
      certificateOwnershipToken: token,
    };
  }

  async #createCertificateFromCsr(request: Record<string, unknown>, profileName: string | null): Promise<unknown> {
    const csr = request.certificateSigningRequest;
    if (typeof csr !== 'string' || csr.length === 0) {
      throw new ProvisioningRejection(400, 'InvalidPayload', 'certificateSigningRequest must be a non-empty string');
    }
    let issued;
    try {
      issued = await this.#core.ca.issueFromCsr(csr, newDeviceCommonName());
    } catch (error) {
      throw new ProvisioningRejection(400, 'InvalidCertificateSigningRequest', (error as Error).message);
    }
    const token = await this.#registerPending(issued, profileName);
    return { certificateOwnershipToken: token, certificateId: issued.certificateId,
      certificatePem: issued.certificatePem };
  }

  async #registerPending(issued: { certificateId: string; serialNumber: string; commonName: string;
    certificatePem: string }, profileName: string | null): Promise<string> {
    const core = this.#core;
    const now = core.now();
    core.registry.insertCertificate({
      ...issued, kind: 'device', status: 'PENDING_ACTIVATION', profileName, thingId: null,
      createdAt: now / 1000, updatedAt: now / 1000,
    });
    const token = randomBytes(48).toString('base64url');
    core.registry.insertOwnershipToken(token, issued.certificateId, now + core.options.ownershipTokenTtlMs);
    await core.policyChanged();
    return token;
  }

  async #registerThing(templateName: string, request: Record<string, unknown>): Promise<unknown> {
    const core = this.#core;
    const profile = core.registry.getProfile(templateName);
    if (!profile || profile.name !== templateName) {
      throw new ProvisioningRejection(404, 'ResourceNotFound', `Template ${templateName} not found`);
    }
    const token = request.certificateOwnershipToken;
    if (typeof token !== 'string' || token.length === 0) {
      throw new ProvisioningRejection(400, 'InvalidCertificateOwnershipToken',
        'Certificate ownership token cannot be empty.');
    }
    const record = core.registry.getOwnershipToken(token);
    if (!record || record.used) {
      throw new ProvisioningRejection(400, 'InvalidCertificateOwnershipToken', 'Certificate ownership token is invalid.');
    }
    if (record.expiresAt <= core.now()) {
      await core.expireOwnershipTokens();
      throw new ProvisioningRejection(400, 'InvalidCertificateOwnershipToken',
        'Certificate ownership token has expired.');
    }
    const parameters = (request.parameters ?? {}) as Record<string, unknown>;
    if (typeof parameters !== 'object' || parameters === null) {
      throw new ProvisioningRejection(400, 'InvalidParameters', 'parameters must be an object of strings');
    }
    const serialNumber = parameters.SerialNumber;
    const upc = parameters.UPC;
    if (typeof serialNumber !== 'string' || typeof upc !== 'string') {
      throw new ProvisioningRejection(400, 'InvalidParameters',
        'parameters.SerialNumber and parameters.UPC are required by the provisioning hook');
    }
    const thing = core.registry.findThingBySerialNumber(serialNumber);
    if (!thing || thing.universalProductCode !== upc
      || (typeof parameters.EAN === 'string' && thing.internationalArticleNumber !== null
        && thing.internationalArticleNumber !== parameters.EAN)) {
      throw new ProvisioningRejection(403, 'AccessDenied',
        `Provisioning hook denied the request: no managed thing with SerialNumber ${serialNumber} and UPC ${upc}`);
    }
    const nowSeconds = core.now() / 1000;
    // One ACTIVE certificate per managed thing: a thing provisioned again (factory reset, or a device that
    // lost RegisterThing's answer) gets the new certificate and the earlier ones become INACTIVE.
    const earlier = core.registry.listCertificates().filter((c) => c.thingId === thing.id && c.status === 'ACTIVE'
      && c.certificateId !== record.certificateId);
    core.registry.transaction(() => {
      for (const c of earlier) core.registry.updateCertificate(c.certificateId, { status: 'INACTIVE' }, nowSeconds);
      core.registry.markOwnershipTokenUsed(token);
      core.registry.updateCertificate(record.certificateId, { status: 'ACTIVE', thingId: thing.id }, nowSeconds);
      core.registry.updateThing({ ...thing, certificateId: record.certificateId, provisioningStatus: 'ACTIVATED',
        activatedAt: thing.activatedAt ?? nowSeconds, updatedAt: nowSeconds });
    });
    await core.policyChanged();
    for (const c of earlier) await core.endSessionsOf(c.certificateId);
    core.emit('provisioned', { managedThingId: thing.id, thingName: thing.id, certificateId: record.certificateId });
    core.thingChanged(thing.id);
    return { deviceConfiguration: {}, thingName: thing.id };
  }
}

/** Device certificate subjects: unique, ≤ 64 characters, the mosquitto ACL user name of the certificate. */
export function newDeviceCommonName(): string {
  return `device-${randomBytes(12).toString('hex')}`;
}
