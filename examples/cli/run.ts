/**
 * `mi-device run EXAMPLE --cloud HTTP_URL --sn SN --upc UPC --data DIR [options]`
 *
 * Runs an example as a simulated device against a running `mi-cloud`: the boot loader
 * (examples/host/boot.ts) in a child process, started again on every reboot (exit code 75), so OTA
 * updates install, reboot, self-test and roll back as on a real device. Ctrl+C stops it.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { HostConfig } from '../host/config.js';
import { startSimulatedDevice } from '../host/device-process.js';
import { EXAMPLES } from '../host/examples.js';

const HELP = `usage: mi-device run EXAMPLE --cloud HTTP_URL --sn SN --upc UPC --data DIR [options]

examples:
${Object.entries(EXAMPLES).map(([name, e]) => `  ${name.padEnd(14)} ${e.description}`).join('\n')}

  --cloud URL            the cloud's HTTP API (mi-cloud start prints it)
  --sn SN --upc UPC      the managed thing's serial number and UPC; --ean EAN if any
  --data DIR             the device's flash: storage, key store, firmware slots
  --profile NAME         provisioning profile (template) name (default mi-device)
  --version V            firmware version of the factory program (default 1.0.0)
  --claim-cert FILE --claim-key FILE   claim credentials to flash (default: create a profile on the cloud)
  --code-sign-key FILE   code-signing public key (PEM) that OTA images must be signed with
  --csr | --create-keys  certificate path (default: CSR when the key store can make the key)
  --format F             json (default) or cbor
  --step-ms N            how often the simulated hardware changes (default 5000)
  --log-level L          debug, info (default), warn, error
`;

export default async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      cloud: { type: 'string' }, sn: { type: 'string' }, upc: { type: 'string' }, ean: { type: 'string' },
      data: { type: 'string' }, profile: { type: 'string' }, version: { type: 'string' },
      'claim-cert': { type: 'string' }, 'claim-key': { type: 'string' }, 'code-sign-key': { type: 'string' },
      csr: { type: 'boolean' }, 'create-keys': { type: 'boolean' }, format: { type: 'string' },
      'step-ms': { type: 'string' }, 'job-poll-ms': { type: 'string' }, 'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const example = positionals[0];
  const problems: string[] = [];
  if (!example || !EXAMPLES[example]) problems.push(`EXAMPLE must be one of ${Object.keys(EXAMPLES).join(', ')}, got ${JSON.stringify(example)}`);
  for (const k of ['cloud', 'sn', 'upc', 'data'] as const) if (!values[k]) problems.push(`missing --${k}`);
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'cbor') problems.push(`--format must be json or cbor, got ${format}`);
  const logLevel = values['log-level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push(`--log-level must be debug, info, warn or error, got ${logLevel}`);
  if (problems.length) {
    process.stderr.write(`mi-device run: ${problems.join('; ')}\n\n${HELP}`);
    return 2;
  }

  const dataDir = resolve(values.data!);
  const config: HostConfig = {
    example: example!,
    cloud: values.cloud!.replace(/\/+$/, ''),
    serialNumber: values.sn!,
    upc: values.upc!,
    ...(values.ean ? { ean: values.ean } : {}),
    dataDir,
    profile: values.profile ?? 'mi-device',
    ...(values['claim-cert'] ? { claimCertFile: resolve(values['claim-cert']) } : {}),
    ...(values['claim-key'] ? { claimKeyFile: resolve(values['claim-key']) } : {}),
    ...(values['code-sign-key'] ? { codeSignKeyFile: resolve(values['code-sign-key']) } : {}),
    factoryVersion: values.version ?? '1.0.0',
    certificatePath: values.csr ? 'csr' : values['create-keys'] ? 'create-keys' : 'auto',
    format: format as HostConfig['format'],
    ...(values['step-ms'] ? { stepMs: Number(values['step-ms']) } : {}),
    ...(values['job-poll-ms'] ? { jobPollMs: Number(values['job-poll-ms']) } : {}),
    logLevel: logLevel as HostConfig['logLevel'],
  };
  const device = startSimulatedDevice(config, {
    onStart: (_child, restarts) => {
      if (restarts > 0) process.stderr.write(`mi-device: device rebooted (${restarts})\n`);
    },
  });
  const stop = () => device.stop('SIGINT');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const { code, signal } = await device.exited;
  return code ?? (signal ? 0 : 1);
}
