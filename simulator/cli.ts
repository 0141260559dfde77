/**
 * `mi-cloud` command line. `start` runs a cloud; every other command works on the cloud in --data DIR:
 * through the running cloud's HTTP API when `DIR/cloud.json` points at a live one, otherwise straight on
 * the registry in DIR (operations that need the broker, like send-command, then fail with a clear message).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CloudAddresses } from './cloud.js';
import type { CloudCore } from './core.js';
import { CloudApiError, CommandTimeoutError } from './errors.js';
import type { RetryCriterion } from './registry.js';
import { createSigningKey, publicKeyOf, signFirmware } from './sign-firmware.js';

// The cloud and the registry load lazily: commands that go through a running cloud stay quick.
const loadCore = async () => (await import('./core.js')).CloudCore;
const loadCloud = async () => (await import('./cloud.js')).Cloud;

const DEFAULT_DATA_DIR = process.env.MI_CLOUD_DATA ?? './.mi-cloud';

const USAGE = `mi-cloud — local AWS IoT managed-integrations cloud

  mi-cloud start [--data DIR] [--mqtt-port N] [--http-port N] [--https-port N] [--broker embedded|mosquitto]
                 [--host H] [--firmware DIR] [--device-key RSA|EC] [--token-ttl-ms N] [--jobs-minute-ms N]
  mi-cloud create-provisioning-profile --name P | get-provisioning-profile P | list-provisioning-profiles
           | delete-provisioning-profile P
  mi-cloud create-managed-thing --sn SN --upc UPC [--ean EAN] [--name N] [--owner O] [--meta k=v ...]
  mi-cloud get-managed-thing ID | list-managed-things | delete-managed-thing ID
  mi-cloud update-managed-thing ID [--meta k=v ...] [--name N] [--owner O]
  mi-cloud get-capabilities ID | get-state ID | list-events ID | list-state-reports ID | request-capabilities ID
  mi-cloud send-command ID JSON [--wait MS] | get-command TRACE_ID | watch [TYPE,TYPE...]
  mi-cloud create-ota-task (--target ID ... | --query 'attributes.k=v') (--document FILE | --s3-url URL)
           [--type ONE_TIME|CONTINUOUS] [--description D] [--retry FAILED|TIMED_OUT|ALL:N] [--timeout-minutes N]
  mi-cloud get-ota-task TASK | list-ota-tasks | cancel-ota-task TASK | list-ota-task-executions TASK
  mi-cloud list-certificates | describe-certificate ID | update-certificate ID --status ACTIVE|INACTIVE|REVOKED
           | revoke-certificate ID
  mi-cloud sign-firmware IMAGE --key KEY [--version V] [--url URL] [--signing-key LABEL] [--public-key-out FILE]
  mi-cloud create-signing-key --out KEY [--public-out FILE]

All commands take --data DIR (default ${DEFAULT_DATA_DIR}, or $MI_CLOUD_DATA) and print JSON.`;

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string' }, 'mqtt-port': { type: 'string' }, 'http-port': { type: 'string' },
    'https-port': { type: 'string' }, broker: { type: 'string' }, host: { type: 'string' },
    firmware: { type: 'string' }, 'device-key': { type: 'string' }, 'token-ttl-ms': { type: 'string' },
    'jobs-minute-ms': { type: 'string' }, name: { type: 'string' }, sn: { type: 'string' }, upc: { type: 'string' },
    ean: { type: 'string' }, owner: { type: 'string' }, meta: { type: 'string', multiple: true },
    wait: { type: 'string' }, target: { type: 'string', multiple: true }, query: { type: 'string' },
    document: { type: 'string' }, 's3-url': { type: 'string' }, type: { type: 'string' },
    description: { type: 'string' }, retry: { type: 'string', multiple: true }, 'timeout-minutes': { type: 'string' },
    status: { type: 'string' }, key: { type: 'string' }, version: { type: 'string' }, url: { type: 'string' },
    'signing-key': { type: 'string' }, 'public-key-out': { type: 'string' }, out: { type: 'string' },
    'public-out': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});

const [command, ...args] = positionals;
const dataDir = resolve(flags.data ?? DEFAULT_DATA_DIR);

class UsageError extends Error {}

function arg(index: number, what: string): string {
  const value = args[index];
  if (value === undefined) throw new UsageError(`${command} needs ${what}`);
  return value;
}

function flag(name: keyof typeof flags): string {
  const value = flags[name];
  if (typeof value !== 'string') throw new UsageError(`${command} needs --${name}`);
  return value;
}

function integer(name: keyof typeof flags): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number`);
  return Number(value);
}

function metadata(): Record<string, string> | undefined {
  if (!flags.meta) return undefined;
  const result: Record<string, string> = {};
  for (const pair of flags.meta) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--meta takes key=value, got ${pair}`);
    result[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return result;
}

function print(value: unknown): void {
  if (value !== undefined) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** An operation, as an HTTP call to a running cloud and as a direct call on the registry. */
interface Operation {
  http: () => { method: string; path: string; body?: unknown };
  local: (core: CloudCore) => unknown;
}

const enc = encodeURIComponent;

function operation(name: string): Operation | undefined {
  switch (name) {
    case 'create-provisioning-profile': {
      const body = { Name: flag('name'), ProvisioningType: 'FLEET_PROVISIONING' };
      return { http: () => ({ method: 'POST', path: '/provisioning-profiles', body }),
        local: (core) => core.createProvisioningProfile(body) };
    }
    case 'get-provisioning-profile': {
      const id = arg(0, 'a profile name or id');
      return { http: () => ({ method: 'GET', path: `/provisioning-profiles/${enc(id)}` }),
        local: (core) => core.getProvisioningProfile(id) };
    }
    case 'list-provisioning-profiles':
      return { http: () => ({ method: 'GET', path: '/provisioning-profiles' }),
        local: (core) => core.listProvisioningProfiles() };
    case 'delete-provisioning-profile': {
      const id = arg(0, 'a profile name or id');
      return { http: () => ({ method: 'DELETE', path: `/provisioning-profiles/${enc(id)}` }),
        local: (core) => core.deleteProvisioningProfile(id) };
    }
    case 'create-managed-thing': {
      const meta = metadata();
      const body = {
        Role: 'DEVICE', AuthenticationMaterialType: 'WIFI_SETUP_QR_BAR_CODE',
        AuthenticationMaterial: `SN:${flag('sn')};UPC:${flag('upc')};${flags.ean ? `EAN:${flags.ean};` : ''}`,
        ...(meta ? { MetaData: meta } : {}), ...(flags.name ? { Name: flags.name } : {}),
        ...(flags.owner ? { Owner: flags.owner } : {}),
      };
      return { http: () => ({ method: 'POST', path: '/managed-things', body }),
        local: (core) => core.createManagedThing(body) };
    }
    case 'get-managed-thing': {
      const id = arg(0, 'a managed thing id');
      return { http: () => ({ method: 'GET', path: `/managed-things/${enc(id)}` }),
        local: (core) => core.getManagedThing(id) };
    }
    case 'list-managed-things':
      return { http: () => ({ method: 'GET', path: '/managed-things' }), local: (core) => core.listManagedThings() };
    case 'update-managed-thing': {
      const id = arg(0, 'a managed thing id');
      const meta = metadata();
      const body = { ...(meta ? { MetaData: meta } : {}), ...(flags.name ? { Name: flags.name } : {}),
        ...(flags.owner ? { Owner: flags.owner } : {}) };
      return { http: () => ({ method: 'PATCH', path: `/managed-things/${enc(id)}`, body }),
        local: (core) => core.updateManagedThing(id, body) };
    }
    case 'delete-managed-thing': {
      const id = arg(0, 'a managed thing id');
      return { http: () => ({ method: 'DELETE', path: `/managed-things/${enc(id)}` }),
        local: (core) => core.deleteManagedThing(id) };
    }
    case 'get-capabilities': {
      const id = arg(0, 'a managed thing id');
      return { http: () => ({ method: 'GET', path: `/managed-things/${enc(id)}/capabilities` }),
        local: (core) => core.getManagedThingCapabilities(id) };
    }
    case 'get-state': {
      const id = arg(0, 'a managed thing id');
      return { http: () => ({ method: 'GET', path: `/managed-things/${enc(id)}/state` }),
        local: (core) => core.getManagedThingState(id) };
    }
    case 'list-events': {
      const id = arg(0, 'a managed thing id');
      return { http: () => ({ method: 'GET', path: `/managed-things/${enc(id)}/events` }),
        local: (core) => core.listManagedThingEvents(id, 'event') };
    }
    case 'list-state-reports': {
      const id = arg(0, 'a managed thing id');
      return { http: () => ({ method: 'GET', path: `/managed-things/${enc(id)}/state-reports` }),
        local: (core) => core.listManagedThingEvents(id, 'state') };
    }
    case 'request-capabilities': {
      const id = arg(0, 'a managed thing id');
      return { http: () => ({ method: 'POST', path: `/managed-things/${enc(id)}/capabilities/request` }),
        local: (core) => core.dataPlane.requestCapabilityReport(id) };
    }
    case 'send-command': {
      const id = arg(0, 'a managed thing id');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(arg(1, 'the command JSON'));
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`the command is not JSON: ${(error as Error).message}`);
      }
      const wait = integer('wait');
      return {
        http: () => ({ method: 'POST', path: `/managed-things/${enc(id)}/commands${wait === undefined ? '' : `?waitMs=${wait}`}`,
          body }),
        local: (core) => core.sendManagedThingCommand(id, body, wait === undefined ? {} : { waitMs: wait }),
      };
    }
    case 'get-command': {
      const traceId = arg(0, 'a trace id');
      return { http: () => ({ method: 'GET', path: `/commands/${enc(traceId)}` }), local: (core) => core.getCommand(traceId) };
    }
    case 'create-ota-task': {
      const retry: RetryCriterion[] = (flags.retry ?? []).map((r) => {
        const [type, count] = r.split(':');
        if (!['FAILED', 'TIMED_OUT', 'ALL'].includes(type ?? '') || !/^\d+$/.test(count ?? '')) {
          throw new UsageError(`--retry takes FAILED|TIMED_OUT|ALL:N, got ${r}`);
        }
        return { FailureType: type as RetryCriterion['FailureType'], MinNumberOfRetries: Number(count) };
      });
      const documentPath = flags.document ?? flags['s3-url'];
      const timeout = integer('timeout-minutes');
      const body = {
        OtaType: flags.type ?? (flags.query ? 'CONTINUOUS' : 'ONE_TIME'),
        ...(flags.target ? { Target: flags.target } : {}),
        ...(flags.query ? { OtaTargetQueryString: flags.query } : {}),
        ...(documentPath ? { S3Url: /^[a-z]+:\/\//.test(documentPath) ? documentPath : resolve(documentPath) } : {}),
        ...(flags.description ? { Description: flags.description } : {}),
        Protocol: 'HTTP', OtaMechanism: 'PUSH',
        ...(retry.length ? { OtaTaskExecutionRetryConfig: { RetryConfigCriteria: retry } } : {}),
        ...(timeout !== undefined ? { InProgressTimeoutInMinutes: timeout } : {}),
      } as const;
      return { http: () => ({ method: 'POST', path: '/ota-tasks', body }),
        local: (core) => core.createOtaTask(body as never) };
    }
    case 'get-ota-task': {
      const id = arg(0, 'a task id');
      return { http: () => ({ method: 'GET', path: `/ota-tasks/${enc(id)}` }), local: (core) => core.ota.get(id) };
    }
    case 'list-ota-tasks':
      return { http: () => ({ method: 'GET', path: '/ota-tasks' }), local: (core) => core.ota.list() };
    case 'cancel-ota-task': {
      const id = arg(0, 'a task id');
      return { http: () => ({ method: 'DELETE', path: `/ota-tasks/${enc(id)}` }), local: (core) => core.ota.cancel(id) };
    }
    case 'list-ota-task-executions': {
      const id = arg(0, 'a task id');
      return { http: () => ({ method: 'GET', path: `/ota-tasks/${enc(id)}/executions` }),
        local: (core) => core.ota.listExecutions(id) };
    }
    case 'list-certificates':
      return { http: () => ({ method: 'GET', path: '/certificates' }), local: (core) => core.listCertificates() };
    case 'describe-certificate': {
      const id = arg(0, 'a certificate id');
      return { http: () => ({ method: 'GET', path: `/certificates/${enc(id)}` }),
        local: (core) => core.describeCertificate(id) };
    }
    case 'update-certificate':
    case 'revoke-certificate': {
      const id = arg(0, 'a certificate id');
      const status = name === 'revoke-certificate' ? 'REVOKED' : flag('status');
      return { http: () => ({ method: 'PUT', path: `/certificates/${enc(id)}/status`, body: { Status: status } }),
        local: (core) => core.updateCertificateStatus(id, status as never) };
    }
    default:
      return undefined;
  }
}

/** The running cloud of DIR, if `cloud.json` names one that answers. */
async function runningCloud(): Promise<CloudAddresses | null> {
  const path = resolve(dataDir, 'cloud.json');
  if (!existsSync(path)) return null;
  try {
    const addresses = JSON.parse(readFileSync(path, 'utf8')) as CloudAddresses;
    const response = await fetch(`${addresses.http}/health`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? addresses : null;
  } catch {
    return null;
  }
}

async function runOperation(op: Operation): Promise<number> {
  const cloud = await runningCloud();
  if (cloud) {
    const { method, path, body } = op.http();
    const response = await fetch(`${cloud.http}${path}`, {
      method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    const text = await response.text();
    const result = text ? JSON.parse(text) : undefined;
    if (response.ok) {
      print(result);
      return 0;
    }
    if (response.status === 504 && result?.TraceId) {
      print({ TraceId: result.TraceId, Error: { code: result.code, message: result.message } });
      return 2;
    }
    process.stderr.write(`${JSON.stringify(result)}\n`);
    return 1;
  }
  const core = await (await loadCore()).open({ dataDir });
  try {
    print(await op.local(core));
    return 0;
  } catch (error) {
    if (error instanceof CommandTimeoutError) {
      print({ TraceId: error.traceId, Error: { code: error.code, message: error.message } });
      return 2;
    }
    if (error instanceof CloudApiError) {
      const hint = error.message.includes('needs a running cloud') ? ` (no running cloud found in ${dataDir})` : '';
      process.stderr.write(`${JSON.stringify({ code: error.code, message: error.message + hint })}\n`);
      return 1;
    }
    throw error;
  } finally {
    await core.close();
  }
}

async function start(): Promise<void> {
  const broker = flags.broker ?? 'embedded';
  if (broker !== 'embedded' && broker !== 'mosquitto') throw new UsageError(`--broker must be embedded or mosquitto`);
  const deviceKey = flags['device-key'];
  if (deviceKey !== undefined && deviceKey !== 'RSA' && deviceKey !== 'EC') throw new UsageError('--device-key RSA|EC');
  const existing = await runningCloud();
  if (existing) throw new UsageError(`a cloud already runs on ${dataDir} (pid ${existing.pid}, ${existing.http})`);
  const mqttPort = integer('mqtt-port');
  const httpPort = integer('http-port');
  const httpsPort = integer('https-port');
  const ttl = integer('token-ttl-ms');
  const minute = integer('jobs-minute-ms');
  const cloud = await (await loadCloud()).start({
    dataDir, broker,
    ...(mqttPort !== undefined ? { mqttPort } : {}), ...(httpPort !== undefined ? { httpPort } : {}),
    ...(httpsPort !== undefined ? { httpsPort } : {}), ...(flags.host ? { host: flags.host } : {}),
    ...(flags.firmware ? { firmwareDir: flags.firmware } : {}), ...(deviceKey ? { deviceKeyAlgorithm: deviceKey } : {}),
    ...(ttl !== undefined ? { ownershipTokenTtlMs: ttl } : {}), ...(minute !== undefined ? { jobsMinuteMs: minute } : {}),
  });
  const a = cloud.addresses();
  process.stdout.write(JSON.stringify({ mqtt: a.mqtt, http: a.http, ca: a.ca, https: a.https, broker: a.broker,
    data: dataDir }) + '\n');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`mi-cloud: ${signal}, stopping\n`);
    cloud.stop().then(() => process.exit(0), (error) => {
      process.stderr.write(`mi-cloud: stop failed: ${(error as Error).message}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(): Promise<number> {
  if (!command || flags.help) {
    process.stdout.write(USAGE + '\n');
    return command || flags.help ? 0 : 1;
  }
  if (command === 'start') {
    await start();
    return -1; // keeps running
  }
  if (command === 'sign-firmware') {
    const keyPem = readFileSync(flag('key'), 'utf8');
    const image = arg(0, 'the image file');
    const name = basename(image);
    // Version: --version, else one in the file name (fw-1.2.0.bin), else 0.0.0 with a warning.
    const version = flags.version ?? /\d+\.\d+\.\d+/.exec(name)?.[0];
    if (!version) process.stderr.write(`mi-cloud: no --version and none in ${name}; using 0.0.0\n`);
    // URL: --url, else the firmware server of the cloud running on DIR, else a 127.0.0.1 placeholder.
    const running = flags.url ? null : await runningCloud();
    const url = flags.url ?? (running ? `${running.http}/firmware/${encodeURIComponent(name)}` : undefined);
    const document = signFirmware({ image, keyPem, version: version ?? '0.0.0',
      ...(url ? { url } : {}), ...(flags['signing-key'] ? { signingKey: flags['signing-key'] } : {}) });
    if (flags['public-key-out']) writeFileSync(flags['public-key-out'], publicKeyOf(keyPem));
    print(document);
    return 0;
  }
  if (command === 'watch') {
    // The command console's other half: every cloud event as one JSON line, until interrupted.
    const cloud = await runningCloud();
    if (!cloud) throw new UsageError(`watch needs a running cloud on ${dataDir} (mi-cloud start)`);
    const types = args[0] ? `?types=${encodeURIComponent(args[0])}` : '';
    const response = await fetch(`${cloud.http}/events${types}`);
    let buffered = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) process.stdout.write(`${JSON.stringify({ event, data: JSON.parse(data) })}\n`);
      }
    }
    return 0;
  }
  if (command === 'create-signing-key') {
    const keys = createSigningKey();
    writeFileSync(flag('out'), keys.privateKeyPem, { mode: 0o600 });
    if (flags['public-out']) writeFileSync(flags['public-out'], keys.publicKeyPem);
    print({ privateKey: resolve(flag('out')), publicKeyPem: keys.publicKeyPem });
    return 0;
  }
  const op = operation(command);
  if (!op) throw new UsageError(`unknown command ${command}\n\n${USAGE}`);
  return runOperation(op);
}

main().then((code) => {
  if (code >= 0) process.exitCode = code;
}, (error) => {
  if (error instanceof UsageError) {
    process.stderr.write(`mi-cloud: ${error.message}\n`);
    process.exitCode = 64;
    return;
  }
  if (error instanceof CloudApiError) {
    process.stderr.write(`${JSON.stringify({ code: error.code, message: error.message })}\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(`mi-cloud: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
