/**
 * `mi-device provision --cloud HTTP_URL --sn SN --upc UPC --data DIR [--csr|--create-keys] [--format json|cbor]`
 *
 * Acts as factory and device in one: if DIR's key store has no claim credentials yet, it fetches the root CA
 * (`GET /ca.pem`) and a provisioning profile's claim certificate and key (`POST /provisioning-profiles`, the
 * only time the cloud hands the claim key out) and stores them under Root Cert / Claim Cert / Claim Key, as a
 * factory would flash them. Then it runs the provisionee (modules/provisionee) over MQTT/TLS exactly as the
 * examples do, connects once with the device identity, and prints {thingName, clientId, certificateId, …}.
 * Re-running it resumes an interrupted provisioning, or reports the stored identity.
 */
import { parseArgs } from 'node:util';
import { createNodePlatform } from '../../platform/node/index.js';
import { KeyStore } from '../../modules/keystore/index.js';
import { createMqttAgent } from '../../modules/mqtt/index.js';
import { Provisionee, ProvisioningRejectedError, type ProvisioneeConfig } from '../../modules/provisionee/index.js';
import { SdkError } from '../../modules/util/errors.js';
import { discoverMqttEndpoint, flashClaimIfMissing } from '../host/factory.js';

const HELP = `usage: mi-device provision --cloud HTTP_URL --sn SN --upc UPC --data DIR [options]

  --cloud URL          the cloud's HTTP API (mi-cloud start prints it)
  --sn SN --upc UPC    device identity; --ean EAN when the product has one
  --data DIR           the device's storage and key store (created if missing)
  --csr | --create-keys   certificate path (default: CSR when the key store can make the key)
  --key-type T         EC-P256 (default) or RSA-2048, for --csr
  --format F           json (default) or cbor
  --profile NAME       provisioning profile / template name (default mi-device)
  --claim-cert FILE --claim-key FILE   flash these claim credentials instead of creating a profile
  --mqtt mqtts://HOST:PORT   the MQTT endpoint, when the cloud does not advertise one
  --client-id-scheme S thing-name (default) or common-name-serial
  --reprovision        drop the device identity (claim credentials stay) and provision again
`;

class CliError extends SdkError {}

export default async function provisionCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      cloud: { type: 'string' },
      sn: { type: 'string' },
      upc: { type: 'string' },
      ean: { type: 'string' },
      data: { type: 'string' },
      csr: { type: 'boolean' },
      'create-keys': { type: 'boolean' },
      'key-type': { type: 'string' },
      format: { type: 'string' },
      profile: { type: 'string' },
      'claim-cert': { type: 'string' },
      'claim-key': { type: 'string' },
      mqtt: { type: 'string' },
      'client-id-scheme': { type: 'string' },
      reprovision: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    const missing = (['cloud', 'sn', 'upc', 'data'] as const).filter((k) => !values[k]);
    if (missing.length) throw new CliError(`missing ${missing.map((m) => `--${m}`).join(', ')}\n\n${HELP}`);
    if (values.csr && values['create-keys']) throw new CliError('choose one of --csr and --create-keys');
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'cbor') throw new CliError(`--format must be json or cbor, got ${format}`);
    const keyType = values['key-type'];
    if (keyType !== undefined && keyType !== 'EC-P256' && keyType !== 'RSA-2048') throw new CliError(`--key-type must be EC-P256 or RSA-2048, got ${keyType}`);
    const scheme = values['client-id-scheme'];
    if (scheme !== undefined && scheme !== 'thing-name' && scheme !== 'common-name-serial') {
      throw new CliError(`--client-id-scheme must be thing-name or common-name-serial, got ${scheme}`);
    }
    const cloudUrl = values.cloud!.replace(/\/+$/, '');
    const profile = values.profile ?? 'mi-device';

    const platform = createNodePlatform({ dataDir: values.data! });
    const keyStore = new KeyStore(platform.keyStoreBackend);
    await flashClaimIfMissing(keyStore, cloudUrl, profile, { certFile: values['claim-cert'], keyFile: values['claim-key'] });
    const endpoint = await discoverMqttEndpoint(cloudUrl, values.mqtt);

    const config: ProvisioneeConfig = {
      endpoint,
      templateName: profile,
      device: { serialNumber: values.sn!, upc: values.upc!, ...(values.ean ? { ean: values.ean } : {}) },
      certificatePath: values.csr ? 'csr' : values['create-keys'] ? 'create-keys' : 'auto',
      ...(keyType ? { keyType } : {}),
      format,
      ...(scheme ? { clientIdScheme: scheme } : {}),
      backoff: { baseMs: 500, capMs: 10_000, maxAttempts: 8 },
    };
    const mqtt = createMqttAgent(platform);
    // A client of its own for the claim session, so the device session can connect right after it.
    const provisionee = new Provisionee({ platform, keyStore, mqtt, claimMqtt: createMqttAgent(platform) }, config);
    const result = values.reprovision ? await provisionee.reprovision('explicit (mi-device provision --reprovision)') : await provisionee.provision();
    await mqtt.disconnect();
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  } catch (error) {
    const e = error as Error;
    const report: Record<string, unknown> = { error: e.name, message: e.message };
    if (error instanceof ProvisioningRejectedError) Object.assign(report, { operation: error.operation, statusCode: error.statusCode, errorCode: error.errorCode, retryable: error.retryable });
    process.stderr.write(JSON.stringify(report) + '\n');
    if (!(error instanceof SdkError) && !(error instanceof TypeError && e.message.startsWith('fetch failed'))) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
