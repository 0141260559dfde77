/**
 * `npm start` / `npm run demo [-- --check]`: the whole SDK in one command.
 *
 * Starts the embedded local cloud (simulator/), creates a provisioning profile and a managed thing,
 * flashes the claim credentials and a code-signing key into a new simulated air purifier, and runs it
 * (examples/host: the real SDK on the Node platform, in its own process with a boot loader). Shows what
 * happens: provisioning, capability report, state reports, commands, events, OTA.
 *
 *   npm start                 interactive: prints `npx mi-cloud send-command …` lines; Ctrl+C stops all
 *   npm run demo -- --check   scripted: runs the checks below and exits 0 only if every one passed
 *
 * Options: --data DIR (default ./.mi-demo, emptied at start), --keep (do not empty it), --verbose.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startCloud, type Cloud } from '../simulator/index.js';
import { createSigningKey, signFirmware } from '../simulator/sign-firmware.js';
import type { HostConfig } from './host/config.js';
import { startSimulatedDevice } from './host/device-process.js';
import { buildFirmwareImage } from './host/image.js';
import { softwareVersionNumber } from './host/root-node.js';
import { commandBody, pasteableCommands, propertyValue, responseCodes } from './demo/commands.js';
import { Terminal, color } from './demo/terminal.js';

const { values } = parseArgs({
  options: { check: { type: 'boolean' }, data: { type: 'string' }, keep: { type: 'boolean' }, verbose: { type: 'boolean' } },
});
const check = Boolean(values.check);
const dataDir = resolve(values.data ?? '.mi-demo');
const term = new Terminal();
const SERIAL = 'AP-0001';
const UPC = '012345678905';
const FACTORY_VERSION = '1.0.0';
const NEW_VERSION = '1.1.0';

if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
mkdirSync(join(dataDir, 'factory'), { recursive: true });
term.line(color.bold('mi-device-sdk demo: an air purifier on the local managed-integrations cloud'));
term.line(color.dim(`data: ${dataDir}`));

const cloud = await term.step('start the local cloud (embedded aedes broker, TLS, local CA)', () => startCloud({ dataDir: join(dataDir, 'cloud') }));
term.line(color.dim(`  mqtt ${cloud.mqttUrl}   http ${cloud.httpUrl}`));

let device: ReturnType<typeof startSimulatedDevice> | undefined;
let stopping = false;
const stopAll = async (code: number) => {
  if (stopping) return;
  stopping = true;
  term.close();
  device?.stop('SIGINT');
  await Promise.race([device?.exited, new Promise((r) => setTimeout(r, 5_000))]);
  await cloud.stop();
  process.exit(code);
};
process.once('SIGINT', () => {
  term.line('\nstopping the device and the cloud …');
  void stopAll(0);
});

try {
  const profile = await term.step('CreateProvisioningProfile AirPurifierDemo', () => cloud.createProvisioningProfile({ name: 'AirPurifierDemo' }));
  const thing = cloud.createManagedThing({ serialNumber: SERIAL, upc: UPC });
  term.line(`${color.green('✔')} CreateManagedThing SN ${SERIAL} UPC ${UPC} → ${color.cyan(thing.Id)}`);

  // The factory: claim credentials and the code-signing public key go into the device's flash.
  const factory = join(dataDir, 'factory');
  writeFileSync(join(factory, 'claim-cert.pem'), profile.ClaimCertificate);
  writeFileSync(join(factory, 'claim-key.pem'), profile.ClaimCertificatePrivateKey, { mode: 0o600 });
  const signing = createSigningKey();
  writeFileSync(join(factory, 'code-sign.key'), signing.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(factory, 'code-sign.pub.pem'), signing.publicKeyPem);

  watchCloud(cloud, thing.Id);
  const provisioned = cloud.waitFor('provisioned', (e) => e.managedThingId === thing.Id, 90_000);
  const capabilities = cloud.waitFor('capabilities', (e) => e.managedThingId === thing.Id, 90_000);
  const startUp = cloud.waitFor('event', (e) => e.managedThingId === thing.Id && eventNames(e.payload).includes('StartUp'), 90_000);
  for (const p of [provisioned, capabilities, startUp]) p.catch(() => undefined); // awaited in order below

  const config: HostConfig = {
    example: 'air-purifier',
    cloud: cloud.httpUrl,
    serialNumber: SERIAL,
    upc: UPC,
    dataDir: join(dataDir, 'device'),
    profile: profile.Name,
    claimCertFile: join(factory, 'claim-cert.pem'),
    claimKeyFile: join(factory, 'claim-key.pem'),
    codeSignKeyFile: join(factory, 'code-sign.pub.pem'),
    factoryVersion: FACTORY_VERSION,
    certificatePath: 'auto',
    format: 'json',
    stepMs: check ? 1_000 : 3_000,
    jobPollMs: 10_000,
    logLevel: values.verbose ? 'debug' : 'info',
  };
  device = startSimulatedDevice(config, {
    stdio: ['ignore', 'pipe', 'pipe'],
    onStart: (child, restarts) => {
      if (restarts > 0) term.line(color.yellow(`↻ device rebooted (${restarts})`));
      for (const stream of [child.stdout, child.stderr]) {
        let rest = '';
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          const lines = (rest + chunk).split('\n');
          rest = lines.pop()!;
          for (const l of lines) if (l.trim() && (values.verbose || /\b(INFO|WARN|ERROR)\b/.test(l) || !/\bDEBUG\b/.test(l))) term.line(color.dim(`  device │ ${l}`));
        });
      }
    },
  });
  void device.exited.then(({ code, signal }) => {
    if (!stopping) {
      term.line(color.red(`device exited (${code ?? signal}) unexpectedly`));
      void stopAll(1);
    }
  });

  await term.step('device: fleet provisioning by claim (CSR → certificate → RegisterThing)', () => provisioned);
  const report = await term.step('device: capability report', () => capabilities);
  const endpoints = (report.report as { endpoints?: Array<{ id: string; capabilities: Array<{ id: string }> }> }).endpoints ?? [];
  for (const e of endpoints) term.line(color.dim(`  endpoint ${e.id}: ${e.capabilities.map((c) => c.id).join(', ')}`));
  await term.step('device: StartUp event (BasicInformation)', () => startUp);

  if (!check) {
    term.line('');
    term.line(color.bold('Drive the device from another terminal:'));
    for (const l of pasteableCommands(thing.Id, join(dataDir, 'cloud'))) term.line(`  ${l}`);
    term.line('');
    term.line(color.dim('State reports, events and command traffic show below. Ctrl+C stops everything.'));
    await new Promise(() => undefined);
  }

  const results = await runChecks(cloud, thing.Id, signing.privateKeyPem);
  const failed = results.filter((r) => !r.ok);
  term.line('');
  for (const r of results) term.line(`${r.ok ? color.green('PASS') : color.red('FAIL')}  ${r.name}${r.detail ? color.dim(`  ${r.detail}`) : ''}`);
  term.line(`${results.length - failed.length} passed, ${failed.length} failed`);
  await stopAll(failed.length === 0 ? 0 : 1);
} catch (error) {
  term.line(color.red(`demo failed: ${(error as Error).stack ?? error}`));
  await stopAll(1);
}

interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

/** The scripted checks of `--check`, each against the running device through the cloud. */
async function runChecks(cloud: Cloud, id: string, signingKeyPem: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const run = async (name: string, body: () => Promise<string | undefined>) => {
    try {
      const detail = await term.step(name, body);
      results.push({ name, ok: true, ...(detail ? { detail } : {}) });
    } catch (error) {
      results.push({ name, ok: false, detail: (error as Error).message });
    }
  };
  const send = async (body: Record<string, unknown>) => (await cloud.sendCommand(id, body, { waitMs: 10_000 })).Response;

  await run('OnOff On, state report seen in the cloud', async () => {
    const reported = cloud.waitFor('state', (e) => e.managedThingId === id && JSON.stringify(e.payload).includes('"OnOff"') && reportedValue(e.payload, 'OnOff') === true, 15_000);
    const response = await send(commandBody('1', 'matter.OnOff@6', [{ name: 'On' }]));
    expect(responseCodes(response), [200], 'response codes');
    await reported;
    return 'On → 200, state OnOff=true';
  });
  await run('ReadState * of OnOff', async () => {
    const response = await send(commandBody('1', 'matter.OnOff@6', [{ name: 'ReadState', parameters: { propertiesToRead: ['*'] } }]));
    expect(responseCodes(response), [200], 'response codes');
    expect(propertyValue(response, 'OnOff'), true, 'OnOff');
    return 'OnOff=true';
  });
  await run('UpdateState of FanControl PercentSetting', async () => {
    const response = await send(commandBody('1', 'matter.FanControl@5', [
      { name: 'UpdateState', parameters: { PercentSetting: 50 } },
      { name: 'ReadState', parameters: { propertiesToRead: ['PercentSetting', 'PercentCurrent'] } },
    ]));
    expect(responseCodes(response), [200, 200], 'response codes');
    expect(propertyValue(response, 'PercentSetting'), 50, 'PercentSetting');
    return `PercentSetting=50, PercentCurrent=${String(propertyValue(response, 'PercentCurrent'))}`;
  });
  await run('a command with bad parameters is answered 400', async () => {
    const response = await send(commandBody('1', 'matter.FanControl@5', [{ name: 'UpdateState', parameters: { PercentSetting: 150 } }]));
    expect(responseCodes(response), [400], 'response codes');
    return 'PercentSetting=150 → 400';
  });
  await run('a device-side event reaches the cloud', async () => {
    const events = (cloud.listEvents(id).Items as Array<{ Payload: unknown }>).flatMap((i) => eventNames(i.Payload));
    if (!events.includes('StartUp')) throw new Error(`no StartUp event stored; events: ${events.join(', ') || 'none'}`);
    return `events: ${[...new Set(events)].join(', ')}`;
  });
  await run(`OTA update to ${NEW_VERSION}, device back on the new version`, async () => {
    const image = await buildFirmwareImage({ version: NEW_VERSION });
    const name = `air-purifier-${NEW_VERSION}.bin`;
    writeFileSync(join(cloud.firmwareDir, name), image);
    const document = signFirmware({ image, keyPem: signingKeyPem, version: NEW_VERSION, url: cloud.firmwareUrl(name), signingKey: 'Code Sign Cert' });
    const cameBack = cloud.waitFor('event', (e) => e.managedThingId === id && startUpVersion(e.payload) === softwareVersionNumber(NEW_VERSION), 180_000);
    const succeeded = cloud.waitFor('job-execution', (e) => e.thingName === id && ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'CANCELED'].includes(e.status), 180_000);
    // Settled either way below; a rejection before then must not end the process.
    cameBack.catch(() => undefined);
    const task = await cloud.createOtaTask({ Target: [id], JobDocument: { ...document }, Description: `air purifier ${NEW_VERSION}` });
    const final = await succeeded;
    term.endProgress();
    if (final.status !== 'SUCCEEDED') throw new Error(`job ${task.TaskId} ended ${final.status}: ${JSON.stringify(final.statusDetails)}`);
    await cameBack;
    const response = await send(commandBody('0', 'matter.BasicInformation@6', [{ name: 'ReadState', parameters: { propertiesToRead: ['SoftwareVersionString'] } }]));
    expect(propertyValue(response, 'SoftwareVersionString'), NEW_VERSION, 'SoftwareVersionString');
    return `${image.length} bytes, job SUCCEEDED (${final.statusDetails?.['reason'] ?? ''}), SoftwareVersionString=${NEW_VERSION}`;
  });
  return results;
}

/** Prints what the cloud sees of the device as it happens. */
function watchCloud(cloud: Cloud, id: string): void {
  cloud.on('provisioning', (e) => term.line(color.dim(`  cloud │ fleet provisioning ${e.topic.replace(/^\$aws\//, '')} → ${e.outcome}`)));
  cloud.on('state', (e) => {
    if (e.managedThingId !== id) return;
    const props = reportedProperties(e.payload).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
    term.line(`  cloud │ ${color.cyan('state')} ${props.join(' ')}`);
  });
  cloud.on('event', (e) => e.managedThingId === id && term.line(`  cloud │ ${color.yellow('event')} ${eventNames(e.payload).join(', ')} ${color.dim(JSON.stringify(eventParameters(e.payload)))}`));
  cloud.on('response', (e) => {
    if (e.managedThingId !== id) return;
    term.line(`  cloud │ ${color.cyan('response')} ${e.traceId} codes ${JSON.stringify(responseCodes(e.payload))}`);
  });
  cloud.on('job-execution', (e) => {
    if (e.thingName !== id) return;
    const receive = /^(\d+)\/(\d+)$/.exec(e.statusDetails?.['receive'] ?? '');
    if (receive && e.status === 'IN_PROGRESS' && e.statusDetails?.['step'] === 'download') term.progress('OTA download', Number(receive[1]), Number(receive[2]));
    else {
      term.endProgress();
      term.line(`  cloud │ ${color.yellow('job')} ${e.jobId} ${e.status} ${color.dim(JSON.stringify(e.statusDetails ?? {}))}`);
    }
  });
}

type Tree = { payload?: { endpoints?: Array<{ capabilities?: Array<{ id?: string; properties?: Array<{ name: string; value: unknown }>; events?: Array<{ name: string; parameters?: Record<string, unknown> }> }> }> } };

/** `[Cluster.Property, value]` of a state report, e.g. `Pm25.MeasuredValue`. */
function reportedProperties(payload: unknown): Array<[string, unknown]> {
  return ((payload as Tree).payload?.endpoints ?? []).flatMap((e) =>
    (e.capabilities ?? []).flatMap((c) => {
      const cluster = (c.id ?? '').replace(/^[a-z]+\./, '').replace(/@.*$/, '').replace(/ConcentrationMeasurement$/, '');
      return (c.properties ?? []).map((p) => [`${cluster}.${p.name}`, p.value] as [string, unknown]);
    }),
  );
}

function reportedValue(payload: unknown, name: string): unknown {
  return reportedProperties(payload).find(([n]) => n.endsWith(`.${name}`))?.[1];
}

function eventNames(payload: unknown): string[] {
  return ((payload as Tree).payload?.endpoints ?? []).flatMap((e) => (e.capabilities ?? []).flatMap((c) => (c.events ?? []).map((v) => v.name)));
}

function eventParameters(payload: unknown): Record<string, unknown>[] {
  return ((payload as Tree).payload?.endpoints ?? []).flatMap((e) => (e.capabilities ?? []).flatMap((c) => (c.events ?? []).map((v) => v.parameters ?? {})));
}

function startUpVersion(payload: unknown): unknown {
  const names = eventNames(payload);
  const i = names.indexOf('StartUp');
  if (i < 0) return undefined;
  const params = eventParameters(payload)[i] ?? {};
  return params['SoftwareVersion'] ?? params['softwareVersion'];
}

function expect(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
