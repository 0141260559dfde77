/**
 * The default device app of `npm run build:moddable` (without an example name): creates the Moddable
 * platform, imports the credentials flashed as resources into the key store, and logs the boot
 * state. Examples bring their own `examples/<name>/moddable.ts`.
 *
 * Moddable runs the function `main` exports once the module has loaded.
 */
import config from 'mc/config';
import buildInfo from 'mi/build-info';
import type { BootState } from '../pal/index.js';
import { KeyStore } from '../../modules/keystore/keystore.js';
import { createModdablePlatform } from './index.js';
import type { ModdablePlatform } from './index.js';
import { importBundledCredentials } from './credentials.js';
import type { ImportedCredential } from './credentials.js';

export interface BootSummary {
  platform: ModdablePlatform;
  bootState: BootState;
  imported: ImportedCredential[];
}

const stringConfig = (key: string): string | undefined => (typeof config[key] === 'string' && config[key] !== '' ? (config[key] as string) : undefined);

export async function boot(): Promise<BootSummary> {
  const platform = createModdablePlatform();
  platform.log.log('info', 'boot', 'mi-device-sdk starting', { ...buildInfo });
  const keyStore = new KeyStore(platform.keyStoreBackend, { log: platform.log });
  const imported = await importBundledCredentials(keyStore, {
    rootCa: stringConfig('rootCaResource'),
    claimCertificate: stringConfig('claimCertResource'),
    claimKey: stringConfig('claimKeyResource'),
  });
  for (const credential of imported) platform.log.log('info', 'boot', 'imported credential', { ...credential });
  const bootState = await platform.slots.bootState();
  platform.log.log('info', 'boot', 'boot state', { ...bootState });
  return { platform, bootState, imported };
}

export default function main(): void {
  boot().catch((error: unknown) => {
    const trace = (globalThis as { trace?: (text: string) => void }).trace;
    trace?.(`boot failed: ${error instanceof Error ? error.message : String(error)}\n`);
  });
}
