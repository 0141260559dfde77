/**
 * Endpoint 0, the root node: BasicInformation (vendor, product, serial number, software version) and
 * its StartUp event, emitted once per boot, so the cloud sees which firmware came up after an update.
 */
import type { Agent } from '../../modules/index.js';
import * as BasicInformation from '../air-purifier/generated/basic-information.js';

export interface RootNodeInfo {
  productName: string;
  serialNumber: string;
  /** Semantic version `major.minor.patch`. */
  version: string;
}

/** Matter's SoftwareVersion is a uint32; this packs `major.minor.patch` as major·2¹⁶ + minor·2⁸ + patch. */
export function softwareVersionNumber(version: string): number {
  const [major = 0, minor = 0, patch = 0] = version.split(/[.+-]/).map((p) => Number.parseInt(p, 10) || 0);
  return ((major & 0xffff) * 0x10000 + (minor & 0xff) * 0x100 + (patch & 0xff)) >>> 0;
}

export function addRootNode(agent: Agent, info: RootNodeInfo): { announceStartUp(): void } {
  const root = agent.addEndpoint('0', 'Root Node', ['Root Node']);
  BasicInformation.registerBasicInformation(root, {
    getDataModelRevision: () => 17,
    getVendorName: () => 'mi-device-sdk examples',
    getVendorID: () => 0xfff1,
    getProductName: (i) => i.productName,
    getProductID: () => 0x8000,
    getNodeLabel: (i) => i.productName,
    getLocation: () => 'XX',
    getHardwareVersion: () => 1,
    getHardwareVersionString: () => 'simulated',
    getSoftwareVersion: (i) => softwareVersionNumber(i.version),
    getSoftwareVersionString: (i) => i.version,
    getSerialNumber: (i) => i.serialNumber,
  }, info);
  return {
    announceStartUp: () => BasicInformation.emitStartUp(root, { softwareVersion: softwareVersionNumber(info.version) }, { immediate: true }),
  };
}
