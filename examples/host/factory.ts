/**
 * The factory step of a simulated device: what a production line flashes before a device ships (the
 * root CA and a provisioning profile's claim credentials), fetched from the local cloud's HTTP API.
 * Runs once: a device that already holds them skips it.
 */
import { readFile } from 'node:fs/promises';
import { KeyStore } from '../../modules/keystore/index.js';
import { Labels } from '../../modules/keystore/types.js';
import { SdkError } from '../../modules/util/errors.js';

export class FactoryError extends SdkError {}

/** Root CA and claim credentials into the key store, once. */
export async function flashClaimIfMissing(
  keyStore: KeyStore,
  cloudUrl: string,
  profile: string,
  claimFiles?: { certFile?: string | undefined; keyFile?: string | undefined },
): Promise<void> {
  const has = async (label: string) => (await keyStore.find({ label })).length > 0;
  if (!(await has(Labels.rootCert))) await keyStore.putCertificate(Labels.rootCert, await httpText(`${cloudUrl}/ca.pem`));
  if ((await has(Labels.claimCert)) && (await has(Labels.claimKey))) return;
  let claim: { certificatePem: string; privateKeyPem: string };
  if (claimFiles?.certFile || claimFiles?.keyFile) {
    if (!claimFiles.certFile || !claimFiles.keyFile) throw new FactoryError('--claim-cert and --claim-key go together');
    claim = { certificatePem: await readFile(claimFiles.certFile, 'utf8'), privateKeyPem: await readFile(claimFiles.keyFile, 'utf8') };
  } else {
    const response = await fetch(`${cloudUrl}/provisioning-profiles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Name: profile, ProvisioningType: 'FLEET_PROVISIONING' }),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, string>;
    if (response.status === 409) {
      throw new FactoryError(
        `provisioning profile ${profile} already exists and the cloud hands its claim key out only when it creates it; ` +
          'pass --claim-cert/--claim-key, or --profile with a new name',
      );
    }
    if (!response.ok) throw new FactoryError(`POST /provisioning-profiles: ${response.status} ${body['code'] ?? ''} ${body['message'] ?? ''}`);
    claim = { certificatePem: body['ClaimCertificate']!, privateKeyPem: body['ClaimCertificatePrivateKey']! };
  }
  await keyStore.putCertificate(Labels.claimCert, claim.certificatePem);
  await keyStore.putPrivateKey(Labels.claimKey, claim.privateKeyPem);
}

/** The code-signing public key (or certificate) OTA images are verified against, flashed once. */
export async function flashCodeSigningKeyIfMissing(keyStore: KeyStore, pemFile: string | undefined): Promise<void> {
  if (!pemFile || (await keyStore.find({ label: Labels.codeSignCert })).length > 0) return;
  const pem = await readFile(pemFile, 'utf8');
  if (pem.includes('BEGIN CERTIFICATE')) await keyStore.putCertificate(Labels.codeSignCert, pem);
  else await keyStore.putPublicKey(Labels.codeSignCert, pem);
}

export interface MqttEndpoint {
  host: string;
  port: number;
  serverName?: string;
}

/** `explicit`, else what the cloud advertises (GetCustomEndpoint's EndpointAddress, or `mqtt` in /health). */
export async function discoverMqttEndpoint(cloudUrl: string, explicit?: string): Promise<MqttEndpoint> {
  let address = explicit;
  for (const path of ['/custom-endpoint', '/health']) {
    if (address) break;
    const response = await fetch(`${cloudUrl}${path}`);
    if (!response.ok) continue;
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    const found = body['EndpointAddress'] ?? body['mqtt'];
    if (typeof found === 'string') address = found;
  }
  if (!address) throw new FactoryError(`the cloud at ${cloudUrl} does not advertise its MQTT endpoint; pass --mqtt mqtts://HOST:PORT`);
  const url = new URL(address.includes('://') ? address : `mqtts://${address}`);
  const port = Number(url.port || 8883);
  // The local cloud's server certificate names localhost and 127.0.0.1.
  return { host: url.hostname, port, ...(url.hostname === '127.0.0.1' ? { serverName: 'localhost' } : {}) };
}

async function httpText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new FactoryError(`GET ${url}: ${response.status}`);
  return response.text();
}
