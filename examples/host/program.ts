/**
 * The device program of the Node simulator host: one example running on the real SDK (Node platform,
 * key store, provisionee, MQTT agent, data model, jobs + OTA) against a cloud. Built as is it is the
 * factory image; `mi-device build-image` bundles this file with a version into an OTA image.
 */
import type { BootState } from '../../platform/pal/index.js';
import { createNodePlatform, NodeDigests } from '../../platform/node/index.js';
import { createAgent, KeyStore } from '../../modules/index.js';
import { provisioneeProvisioner } from '../../modules/provisionee/agent-provisioner.js';
import { createMqttAgent } from '../../modules/mqtt/index.js';
import { createOtaComponent } from '../../modules/ota/index.js';
import type { HostConfig } from './config.js';
import { EXAMPLES } from './examples.js';
import { discoverMqttEndpoint, flashClaimIfMissing, flashCodeSigningKeyIfMissing } from './factory.js';
import { addRootNode } from './root-node.js';

declare const __FIRMWARE_VERSION__: string | undefined;
declare const __SELF_TEST__: string | undefined;

export interface ProgramContext {
  config: HostConfig;
  boot: BootState;
  imageVersion: string | undefined;
}

export async function main({ config, boot }: ProgramContext): Promise<void> {
  const version = typeof __FIRMWARE_VERSION__ === 'string' ? __FIRMWARE_VERSION__ : config.factoryVersion;
  const failSelfTest = typeof __SELF_TEST__ === 'string' && __SELF_TEST__ === 'fail';
  const example = EXAMPLES[config.example];
  if (!example) throw new Error(`unknown example ${JSON.stringify(config.example)}; known: ${Object.keys(EXAMPLES).join(', ')}`);

  const platform = createNodePlatform({ dataDir: config.dataDir, log: { level: config.logLevel ?? 'info' } });
  platform.digest = new NodeDigests();
  const log = (message: string, fields?: Record<string, unknown>) => platform.log.log('info', 'MAIN', message, fields);
  log(`booting ${config.example} firmware ${version}`, { slot: boot.running, pendingVerify: boot.pendingVerify });

  const keyStore = new KeyStore(platform.keyStoreBackend);
  await flashClaimIfMissing(keyStore, config.cloud, config.profile, { certFile: config.claimCertFile, keyFile: config.claimKeyFile });
  await flashCodeSigningKeyIfMissing(keyStore, config.codeSignKeyFile);
  const endpoint = await discoverMqttEndpoint(config.cloud);

  let running: ReturnType<typeof example.setup> | undefined;
  const agent = createAgent({
    platform,
    endpoint,
    provisioner: provisioneeProvisioner(
      keyStore,
      {
        endpoint,
        templateName: config.profile,
        device: { serialNumber: config.serialNumber, upc: config.upc, ...(config.ean ? { ean: config.ean } : {}) },
        certificatePath: config.certificatePath,
        format: config.format,
      },
      { createClaimClient: (p) => createMqttAgent(p) },
    ),
    components: [
      createOtaComponent({
        keyStore,
        firmwareVersion: version,
        pollIntervalMs: config.jobPollMs ?? 30_000,
        selfTest: async () => {
          if (failSelfTest) throw new Error('self-test: this image was built to fail it');
          await running?.selfTest();
        },
        onEvent: (event) => {
          if (event.type !== 'progress') log(`ota: ${event.type}`, { ...event });
        },
      }),
    ],
  });
  const rootNode = addRootNode(agent, { productName: config.example, serialNumber: config.serialNumber, version });
  running = example.setup(agent, { ...(config.stepMs ? { stepMs: config.stepMs } : {}) });

  const shutdown = async (signal: string) => {
    log(`${signal}: shutting down`);
    running?.stop();
    await agent.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await agent.start();
  rootNode.announceStartUp();
  log(`running as ${agent.thingName} (client id ${agent.clientId}), firmware ${version}`);
}
