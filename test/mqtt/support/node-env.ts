/**
 * Node-side setup for broker tests and the bench: a real Node platform (TLS/TCP transport, timers,
 * clock) whose key store holds the test CA and device credentials from test/helpers/pki.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodePlatform, type NodePlatform } from '../../../platform/node/index.js';
import type { TlsCredentials } from '../../../platform/pal/index.js';
import { createTestPki, type IssuedCredential, type TestPki } from '../../helpers/pki.js';

export const LABELS = { ca: 'Root Cert', device: 'Device Cert', foreign: 'Foreign Cert' } as const;

export interface NodeEnv {
  platform: NodePlatform;
  pki: TestPki;
  /** mTLS credentials for the agent: our CA, the device certificate, server name localhost. */
  tls: TlsCredentials;
  logLines: string[];
  cleanup(): Promise<void>;
}

const ID = new Uint8Array(32);

async function store(platform: NodePlatform, label: string, credential: IssuedCredential): Promise<void> {
  await platform.keyStoreBackend.put({ class: 'certificate', label, id: ID }, credential.certDer);
  await platform.keyStoreBackend.put({ class: 'private-key', label, id: ID, keyType: credential.keyType }, credential.keyDer);
}

export async function createNodeEnv(): Promise<NodeEnv> {
  const pki = await createTestPki();
  const dataDir = await mkdtemp(join(tmpdir(), 'mi-mqtt-'));
  const logLines: string[] = [];
  const platform = createNodePlatform({ dataDir, log: { level: 'warn', sink: (line) => logLines.push(line) } });
  await platform.keyStoreBackend.put({ class: 'certificate', label: LABELS.ca, id: ID }, pki.ca.certDer);
  // The device credential is RSA, as on the ESP32 (Moddable TLS signs client certificates with RSA only).
  await store(platform, LABELS.device, pki.clientRsa);
  await store(platform, LABELS.foreign, pki.otherCaClient);
  return {
    platform,
    pki,
    tls: { caLabel: LABELS.ca, certificateLabel: LABELS.device, privateKeyLabel: LABELS.device, serverName: 'localhost' },
    logLines,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}
