import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Cloud } from '../../simulator/index.js';
import { connectDevice, encode, request, type Credentials, type Format } from './device-client.js';

x509.cryptoProvider.set(webcrypto as never);

const pem = (label: string, der: ArrayBuffer): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

/** A P-256 key and a PKCS#10 request for it, as a device that keeps its key would make them. */
export async function makeCsr(): Promise<{ csrPem: string; keyPem: string }> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=device-made-this', keys: keys as never, signingAlgorithm: algorithm,
  });
  return { csrPem: csr.toString('pem'), keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** A certificate and key from a CA the cloud has never seen. */
export async function foreignCredentials(): Promise<{ cert: string; key: string }> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=intruder', keys: keys as never, signingAlgorithm: algorithm,
  });
  return { cert: cert.toString('pem'), key: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

export interface ProvisionedDevice { thingName: string; credentials: Credentials; certificateId: string }

/** Fleet provisioning by claim with the MQTT.js test client: keys (or CSR) then RegisterThing. */
export async function provision(cloud: Cloud, claim: Credentials, template: string,
  parameters: Record<string, string>, options: { format?: Format; csr?: boolean } = {}): Promise<ProvisionedDevice> {
  const format = options.format ?? 'json';
  const client = await connectDevice(cloud.mqttUrl, claim, `claim-${Math.random().toString(16).slice(2)}`);
  try {
    let cert: string;
    let key: string;
    let token: string;
    let certificateId: string;
    if (options.csr) {
      const csr = await makeCsr();
      const answer = await request(client, `$aws/certificates/create-from-csr/${format}`,
        encode(format, { certificateSigningRequest: csr.csrPem }), format);
      if (answer.outcome !== 'accepted') throw new Error(`CreateCertificateFromCsr rejected: ${JSON.stringify(answer.body)}`);
      ({ certificatePem: cert, certificateOwnershipToken: token, certificateId } = answer.body);
      key = csr.keyPem;
    } else {
      const answer = await request(client, `$aws/certificates/create/${format}`, encode(format, {}), format);
      if (answer.outcome !== 'accepted') throw new Error(`CreateKeysAndCertificate rejected: ${JSON.stringify(answer.body)}`);
      ({ certificatePem: cert, privateKey: key, certificateOwnershipToken: token, certificateId } = answer.body);
    }
    const registered = await request(client, `$aws/provisioning-templates/${template}/provision/${format}`,
      encode(format, { certificateOwnershipToken: token, parameters }), format);
    if (registered.outcome !== 'accepted') throw new Error(`RegisterThing rejected: ${JSON.stringify(registered.body)}`);
    return { thingName: registered.body.thingName, credentials: { ca: cloud.caPem, cert, key }, certificateId };
  } finally {
    await client.endAsync();
  }
}
