/**
 * The capability report (device-protocol.md 5), built from the registered endpoints and clusters and
 * checked against the managed-integrations limits before it is published.
 */
import type { Endpoint } from './endpoint.js';
import { RegistrationError } from './errors.js';

export interface CapabilityReportLimits {
  maxEndpoints: number;
  maxCapabilitiesPerEndpoint: number;
}

export interface CapabilityReport {
  version: '1.0.0';
  nodeId: string;
  endpoints: {
    id: string;
    deviceTypes: string[];
    capabilities: { id: string; name: string; version: string; properties: string[]; actions: string[]; events: string[] }[];
  }[];
}

export function buildCapabilityReport(nodeId: string, endpoints: readonly Endpoint[], limits: CapabilityReportLimits): CapabilityReport {
  if (endpoints.length > limits.maxEndpoints) {
    throw new RegistrationError(`capability report has ${endpoints.length} endpoints, the limit is ${limits.maxEndpoints}`);
  }
  return {
    version: '1.0.0',
    nodeId,
    endpoints: endpoints.map((ep) => {
      const clusters = ep.clusters;
      if (clusters.length > limits.maxCapabilitiesPerEndpoint) {
        throw new RegistrationError(`endpoint ${ep.id} has ${clusters.length} capabilities, the limit is ${limits.maxCapabilitiesPerEndpoint}`);
      }
      return {
        id: ep.id,
        deviceTypes: [...ep.deviceTypes],
        capabilities: clusters.map((c) => ({
          id: c.metadata.capabilityId,
          name: c.metadata.name,
          version: String(c.metadata.revision),
          properties: c.supportedAttributes().map((a) => a.property),
          actions: c.supportedCommands().map((m) => m.name),
          events: c.metadata.events.map((e) => e.name),
        })),
      };
    }),
  };
}
