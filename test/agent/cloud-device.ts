/**
 * End-to-end fixture: a local cloud (simulator, real broker over TLS) and a device identity made the
 * way a factory line would: fleet provisioning by claim over MQTT (MQTT.js plays the factory tool),
 * the device certificate and key then stored in the device's Node key store under the SDK's labels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { startCloud, type Cloud } from '../../simulator/index.js';
import { createNodePlatform, type NodePlatform } from '../../platform/node/index.js';
import { connectDevice, request } from '../simulator/device-client.js';

export interface CloudDevice {
  cloud: Cloud;
  platform: NodePlatform;
  thingName: string;
  /** The device certificate's id in the cloud (SHA-256 of its DER, hex). */
  certificateId: string;
  /** PEMs, for a bare MQTT.js peer using the same identity (benchmarks). */
  credentials: { ca: string; cert: string; key: string };
  cleanup(): Promise<void>;
}

function pemToDer(pem: string): Uint8Array {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

export async function startCloudWithDevice(options: { broker?: 'embedded' | 'mosquitto'; serial?: string } = {}): Promise<CloudDevice> {
  const root = mkdtempSync(join(tmpdir(), 'mi-dm-e2e-'));
  const cloud = await startCloud({ dataDir: join(root, 'cloud'), broker: options.broker ?? 'embedded', writeCloudJson: false });
  try {
    const profile = await cloud.createProvisioningProfile({ name: 'DmProfile' });
    const serial = options.serial ?? 'SN-DM-1';
    const upc = '012345678905';
    cloud.createManagedThing({ serialNumber: serial, upc });
    const claim = await connectDevice(cloud.mqttUrl, { ca: cloud.caPem, cert: profile.ClaimCertificate, key: profile.ClaimCertificatePrivateKey }, `${serial}-claim`, {
      servername: 'localhost',
    });
    const keys = await request(claim, '$aws/certificates/create/json', '{}');
    if (keys.outcome !== 'accepted') throw new Error(`CreateKeysAndCertificate rejected: ${JSON.stringify(keys.body)}`);
    const registered = await request(
      claim,
      `$aws/provisioning-templates/${profile.Name}/provision/json`,
      JSON.stringify({ certificateOwnershipToken: keys.body.certificateOwnershipToken, parameters: { SerialNumber: serial, UPC: upc } }),
    );
    await claim.endAsync();
    if (registered.outcome !== 'accepted') throw new Error(`RegisterThing rejected: ${JSON.stringify(registered.body)}`);
    const thingName: string = registered.body.thingName;

    const platform = createNodePlatform({ dataDir: join(root, 'device'), log: { level: 'warn' } });
    const ks = platform.keyStoreBackend;
    const certDer = pemToDer(keys.body.certificatePem);
    const spki = new X509Certificate(keys.body.certificatePem).publicKey.export({ type: 'spki', format: 'der' });
    const id = new Uint8Array(createHash('sha256').update(spki).digest());
    const pkcs8 = new Uint8Array(createPrivateKey(keys.body.privateKey).export({ type: 'pkcs8', format: 'der' }));
    await ks.put({ class: 'certificate', label: 'Root Cert', id: new Uint8Array(32) }, pemToDer(cloud.caPem));
    await ks.put({ class: 'certificate', label: 'Device Cert', id }, certDer);
    await ks.put({ class: 'private-key', label: 'Device Key', id }, pkcs8);
    return {
      cloud,
      platform,
      thingName,
      certificateId: createHash('sha256').update(certDer).digest('hex'),
      credentials: { ca: cloud.caPem, cert: keys.body.certificatePem, key: keys.body.privateKey },
      cleanup: async () => {
        await cloud.stop();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await cloud.stop();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}
