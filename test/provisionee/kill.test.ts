/**
 * Never half-provisioned: the device process (`mi-device provision`, the same code as the examples) is
 * killed with SIGKILL at every provisioning step and at random times, then restarted until it reports
 * success. Afterwards the cloud has exactly one ACTIVE certificate bound to the managed thing, it is the
 * device's, and the device's key store holds the device identity with no staged leftovers.
 * rounds(50, 10): 50 runs on CI (CI=true), 10 locally.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCloud, type Cloud } from '../../simulator/index.js';
import { createNodePlatform } from '../../platform/node/index.js';
import { KeyStore } from '../../modules/keystore/index.js';
import { ProvisioningStateStore } from '../../modules/provisionee/index.js';
import { rounds } from '../helpers/rounds.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(root, 'bin/mi-device.mjs');
const PROFILE = 'KillProfile';
const STEPS = ['certificate-requested', 'certificate-received', 'register-requested', 'registered', 'provisioned'] as const;
/**
 * Kill points: on seeing a step persisted (plus a random 0..40 ms), or at a random time 0..500 ms after the
 * first step, which lands anywhere in the network exchanges (mid-request, between the cloud's answer and the save).
 */
type KillPoint = { kind: 'step'; step: (typeof STEPS)[number] } | { kind: 'time' };
const KILL_POINTS: KillPoint[] = [...STEPS.map((step) => ({ kind: 'step' as const, step })), { kind: 'time' }];

let cloud: Cloud;
/** Accepted RegisterThings per managed thing: more than one means a kill landed between the cloud's accept and the device's save. */
const registrations = new Map<string, number>();
let claimFiles: { cert: string; key: string };
const work = mkdtempSync(path.join(tmpdir(), 'prov-kill-'));

beforeAll(async () => {
  cloud = await startCloud({ dataDir: path.join(work, 'cloud'), writeCloudJson: false });
  const profile = await cloud.createProvisioningProfile({ name: PROFILE });
  // The simulator keeps one ACTIVE certificate per managed thing: a RegisterThing for a thing that has one makes
  // the earlier INACTIVE. That is what keeps the invariant when a kill lands between the cloud's accept and the
  // device's save (the device cannot learn its thing name, its used token is refused, it registers anew).
  cloud.on('provisioned', ({ managedThingId }) => registrations.set(managedThingId, (registrations.get(managedThingId) ?? 0) + 1));
  claimFiles = { cert: path.join(work, 'claim.pem'), key: path.join(work, 'claim.key') };
  writeFileSync(claimFiles.cert, profile.ClaimCertificate);
  writeFileSync(claimFiles.key, profile.ClaimCertificatePrivateKey);
});
afterAll(async () => {
  await cloud?.stop();
});

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stepsSeen: string[];
}

function runDevice(args: string[], kill: KillPoint | undefined, randomDelayMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'provision', ...args], {
      env: { ...process.env, MI_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const stepsSeen: string[] = [];
    let killed = false;
    const killNow = () => {
      if (killed || child.exitCode !== null) return;
      killed = true;
      child.kill('SIGKILL');
    };
    let timer: NodeJS.Timeout | undefined;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const m of d.toString().matchAll(/\[provisionee\] step \{"step":"([a-z-]+)"/g)) {
        stepsSeen.push(m[1]!);
        if (kill?.kind === 'time' && stepsSeen.length === 1) timer = setTimeout(killNow, randomDelayMs % 500);
        if (kill?.kind === 'step' && m[1] === kill.step) setTimeout(killNow, randomDelayMs % 40);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, stepsSeen });
    });
  });
}

describe('SIGKILL at every provisioning step', () => {
  const runs = rounds(50, 10);
  it(`${runs} runs end provisioned with exactly one active certificate and no stale credentials`, { timeout: runs * 60_000 }, async () => {
    const summary: string[] = [];
    let totalKills = 0;
    for (let run = 0; run < runs; run++) {
      const sn = `SN-KILL-${run}-${Date.now()}`;
      const upc = '012345678905';
      const thingId = cloud.createManagedThing({ serialNumber: sn, upc }).Id;
      const dataDir = path.join(work, `device-${run}`);
      const pathFlag = run % 2 === 0 ? '--csr' : '--create-keys';
      const format = run % 4 < 2 ? 'json' : 'cbor';
      const args = ['--cloud', cloud.httpUrl, '--mqtt', cloud.mqttUrl, '--sn', sn, '--upc', upc, '--data', dataDir, '--profile', PROFILE,
        '--claim-cert', claimFiles.cert, '--claim-key', claimFiles.key, pathFlag, '--format', format];
      const kills: string[] = [];
      // One to three kills per run: the first at this run's kill point (cycling through all of them), the rest random.
      const killCount = 1 + (run % 3);
      let result: Record<string, unknown> | undefined;
      for (let attempt = 0; attempt < 12 && !result; attempt++) {
        const point = attempt < killCount ? (attempt === 0 ? KILL_POINTS[run % KILL_POINTS.length]! : KILL_POINTS[Math.floor(Math.random() * KILL_POINTS.length)]!) : undefined;
        const outcome = await runDevice(args, point, Math.floor(Math.random() * 1000));
        if (outcome.signal === 'SIGKILL') {
          kills.push(point!.kind === 'step' ? `after ${point!.step}` : `mid-run after ${outcome.stepsSeen.at(-1) ?? 'start'}`);
          totalKills++;
          continue;
        }
        if (outcome.code !== 0) throw new Error(`run ${run}: device exited ${outcome.code}\n${outcome.stderr}`);
        result = JSON.parse(outcome.stdout) as Record<string, unknown>;
      }
      expect(result, `run ${run} never finished`).toBeDefined();
      expect(result!['thingName']).toBe(thingId);

      // The cloud: exactly one ACTIVE certificate bound to the thing, the device's.
      const active = cloud.listCertificates().certificates.filter((c) => c['managedThingId'] === thingId && c['status'] === 'ACTIVE');
      expect(active.map((c) => c['certificateId']), `run ${run} (kills: ${kills.join('; ')})`).toEqual([result!['certificateId']]);
      expect(cloud.getManagedThing(thingId)['CertificateId']).toBe(result!['certificateId']);

      // The device: the registered identity in place, nothing staged, the record says provisioned.
      const platform = createNodePlatform({ dataDir, log: { level: 'error' } });
      const keyStore = new KeyStore(platform.keyStoreBackend);
      const labels = (await keyStore.find({})).map((o) => `${o.class}:${o.label}`).sort();
      expect(labels).toEqual(
        ['certificate:Claim Cert', 'certificate:Device Cert', 'certificate:Root Cert', 'private-key:Claim Key', 'private-key:Device Key',
          'public-key:Claim Key', 'public-key:Device Key'].sort(),
      );
      const deviceCertPem = String(cloud.describeCertificate(String(result!['certificateId']))['certificatePem']);
      expect(Buffer.from(await keyStore.getCertificate('Device Cert')).toString('base64')).toBe(deviceCertPem.replace(/-----[A-Z ]+-----|\s/g, ''));
      const record = await new ProvisioningStateStore(platform.storage, platform.text).load();
      expect(record.step).toBe('provisioned');
      expect(record.ownershipToken).toBeUndefined();
      summary.push(`run ${run} ${pathFlag} ${format}: ${kills.length} kill(s) [${kills.join('; ')}], attempts ${result!['attempts']}`);
    }
    console.log(`${summary.join('\n')}\n${runs} runs, ${totalKills} SIGKILLs; runs that registered twice (kill in the accept window): ${[...registrations.values()].filter((n) => n > 1).length}`);
  });
});
