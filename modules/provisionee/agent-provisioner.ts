/**
 * The provisionee as the agent's provisioning seam (modules/agent AgentProvisioner): on `agent.start()` it
 * provisions or resumes, re-provisions if the broker refuses the device certificate (at start, or while
 * running: the agent restarts when `isIdentityRefused` says so), and leaves the agent's
 * MQTT client connected with the device identity, so the agent goes straight on to the capability report.
 */
import type { AgentProvisioner, DeviceIdentity } from '../agent/config.js';
import type { Platform } from '../../platform/pal/index.js';
import type { KeyStoreApi } from '../keystore/types.js';
import type { MqttClient } from '../mqtt/types.js';
import type { ProvisioneeConfig } from './config.js';
import { Provisionee, isCertificateRefused, type ProvisioningResult } from './provisionee.js';

export interface ProvisioneeProvisioner extends AgentProvisioner {
  /** The last provisioning result (after `ensureProvisioned` resolved). */
  readonly result: ProvisioningResult | undefined;
  /** The provisionee the last `ensureProvisioned` ran, for `reprovision()` and `status()`. */
  readonly provisionee: Provisionee | undefined;
}

export interface ProvisionerOptions {
  /** Makes a client for the claim session only (see ProvisioneeDependencies.claimMqtt); default: the agent's client. */
  createClaimClient?: (platform: Platform) => MqttClient;
}

export function provisioneeProvisioner(keyStore: KeyStoreApi, config: ProvisioneeConfig, options: ProvisionerOptions = {}): ProvisioneeProvisioner {
  let result: ProvisioningResult | undefined;
  let provisionee: Provisionee | undefined;
  return {
    get result() {
      return result;
    },
    get provisionee() {
      return provisionee;
    },
    async ensureProvisioned({ platform, mqtt }: { platform: Platform; mqtt: MqttClient }): Promise<DeviceIdentity> {
      const claimMqtt = options.createClaimClient?.(platform);
      provisionee = new Provisionee({ platform, keyStore, mqtt, ...(claimMqtt ? { claimMqtt } : {}) }, config);
      result = await provisionee.provision();
      // Managed integrations use the managed thing id as the thing name.
      return { thingName: result.thingName, clientId: result.clientId, managedThingId: result.thingName };
    },
    // provision() re-provisions when the broker refuses the device certificate, so a restart recovers.
    isIdentityRefused: isCertificateRefused,
  };
}
