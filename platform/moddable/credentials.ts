/**
 * First-boot import of credentials flashed with the firmware: the manifest's "data" puts DER files
 * into flash as resources and "config" names them. Each one is copied into the key store once
 * (under the SDK's labels) and not again: after provisioning, the device certificate lives in the
 * key store and the claim credentials may be destroyed there.
 */
import Resource from 'Resource';
import type { KeyStoreApi } from '../../modules/keystore/types.js';
import { Labels } from '../../modules/keystore/types.js';

export interface CredentialResources {
  rootCa?: string;
  claimCertificate?: string;
  claimKey?: string;
}

export interface ImportedCredential {
  label: string;
  resource: string;
}

async function has(keyStore: KeyStoreApi, label: string): Promise<boolean> {
  return (await keyStore.find({ label })).length > 0;
}

function bytesOf(name: string): Uint8Array | undefined {
  if (!Resource.exists(name)) return undefined;
  return new Uint8Array(new Resource(name)).slice();
}

export async function importBundledCredentials(keyStore: KeyStoreApi, resources: CredentialResources): Promise<ImportedCredential[]> {
  const imported: ImportedCredential[] = [];
  const steps: [string | undefined, string, (bytes: Uint8Array) => Promise<unknown>][] = [
    [resources.rootCa, Labels.rootCert, (der) => keyStore.putCertificate(Labels.rootCert, der)],
    [resources.claimCertificate, Labels.claimCert, (der) => keyStore.putCertificate(Labels.claimCert, der)],
    [resources.claimKey, Labels.claimKey, (der) => keyStore.putPrivateKey(Labels.claimKey, der)],
  ];
  for (const [resource, label, put] of steps) {
    if (!resource || (await has(keyStore, label))) continue;
    const bytes = bytesOf(resource);
    if (!bytes) continue;
    await put(bytes);
    imported.push({ label, resource });
  }
  return imported;
}
