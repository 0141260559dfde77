/**
 * Fleet provisioning, claim connect → first connection with the permanent certificate, on loopback with
 * mutual TLS against the local cloud (aedes), for each certificate path and payload format. Ours: the
 * provisionee (modules/provisionee) on the Node platform with its file-backed key store and MQTT agent.
 * Peer: MQTT.js doing the same exchanges the way the AWS JS SDK samples do (keys and CSR made with
 * WebCrypto + @peculiar/x509, everything in memory, no persisted steps). Median of RUNS each, fresh thing.
 *
 * XS: compute and heap of a P-256 key generation and of one CSR build, from the XS lane scenario
 * test/xs/scenarios/csr.xs.ts (run here through `node test/xs/run.mjs csr`).
 */
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import * as x509 from '@peculiar/x509';
import { encode as cborEncode, decode as cborDecode } from 'cbor-x';
import { startCloud, type Cloud } from '../simulator/index.js';
import { createNodePlatform } from '../platform/node/index.js';
import { KeyStore } from '../modules/keystore/index.js';
import { Labels } from '../modules/keystore/types.js';
import { createMqttAgent } from '../modules/mqtt/index.js';
import { Provisionee, type ProvisioneeConfig } from '../modules/provisionee/index.js';
import { timeFigure, type Figure } from './figure.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// RSA key generation (cloud-side for create-keys, device-side for an RSA CSR) varies a lot run to run: 11 runs per median.
const RUNS = Number(process.env.PROVISIONING_BENCH_RUNS ?? 11);
const TEMPLATE = 'BenchProfile';
const UPC = '012345678905';
const PEER = 'MQTT.js + WebCrypto (AWS SDK sample flow)';

type Case = { name: string; path: 'csr' | 'create-keys'; keyType?: 'EC-P256' | 'RSA-2048'; format: 'json' | 'cbor' };
const CASES: Case[] = [
  { name: 'csr-p256', path: 'csr', keyType: 'EC-P256', format: 'json' },
  { name: 'csr-p256', path: 'csr', keyType: 'EC-P256', format: 'cbor' },
  { name: 'csr-rsa2048', path: 'csr', keyType: 'RSA-2048', format: 'json' },
  { name: 'csr-rsa2048', path: 'csr', keyType: 'RSA-2048', format: 'cbor' },
  { name: 'create-keys', path: 'create-keys', format: 'json' },
  { name: 'create-keys', path: 'create-keys', format: 'cbor' },
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Claim {
  caPem: string;
  certificatePem: string;
  privateKeyPem: string;
}

let serial = 0;
function newThing(cloud: Cloud): string {
  const sn = `SN-BENCH-${++serial}-${Date.now()}`;
  cloud.createManagedThing({ serialNumber: sn, upc: UPC });
  return sn;
}

async function ours(cloud: Cloud, claim: Claim, c: Case, sn: string): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-prov-'));
  try {
    const platform = createNodePlatform({ dataDir, log: { level: 'error' } });
    const keyStore = new KeyStore(platform.keyStoreBackend);
    await keyStore.putCertificate(Labels.rootCert, claim.caPem);
    await keyStore.putCertificate(Labels.claimCert, claim.certificatePem);
    await keyStore.putPrivateKey(Labels.claimKey, claim.privateKeyPem);
    const client = createMqttAgent(platform);
    const config: ProvisioneeConfig = {
      endpoint: { host: cloud.host, port: cloud.mqttPort, serverName: 'localhost' },
      templateName: TEMPLATE,
      device: { serialNumber: sn, upc: UPC },
      certificatePath: c.path,
      format: c.format,
      ...(c.keyType ? { keyType: c.keyType } : {}),
    };
    const t0 = performance.now();
    await new Provisionee({ platform, keyStore, mqtt: client, claimMqtt: createMqttAgent(platform) }, config).provision();
    const ms = performance.now() - t0;
    await client.disconnect();
    return ms;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The peer: one MQTT.js client per identity, request/response with subscribe-before-publish. */
async function peer(cloud: Cloud, claim: Claim, c: Case, sn: string): Promise<number> {
  const encode = (v: unknown) => (c.format === 'cbor' ? cborEncode(v) : Buffer.from(JSON.stringify(v)));
  const decode = (b: Buffer) => (c.format === 'cbor' ? cborDecode(b) : JSON.parse(b.toString('utf8'))) as Record<string, unknown>;
  const url = `mqtts://${cloud.host}:${cloud.mqttPort}`;
  const t0 = performance.now();
  const claimClient = await mqtt.connectAsync(url, {
    ca: claim.caPem, cert: claim.certificatePem, key: claim.privateKeyPem, servername: 'localhost',
    clientId: `${sn}-claim`, clean: true, reconnectPeriod: 0, protocolVersion: 4,
  });
  const request = async (topic: string, body: unknown): Promise<Record<string, unknown>> => {
    await claimClient.subscribeAsync([`${topic}/accepted`, `${topic}/rejected`], { qos: 1 });
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      const onMessage = (t: string, payload: Buffer) => {
        if (t !== `${topic}/accepted` && t !== `${topic}/rejected`) return;
        claimClient.off('message', onMessage);
        const decoded = decode(payload);
        if (t.endsWith('/rejected')) reject(new Error(`${topic} rejected: ${JSON.stringify(decoded)}`));
        else resolve(decoded);
      };
      claimClient.on('message', onMessage);
    });
    await claimClient.publishAsync(topic, encode(body), { qos: 1 });
    const result = await answer;
    await claimClient.unsubscribeAsync([`${topic}/accepted`, `${topic}/rejected`]);
    return result;
  };
  let keyPem: string;
  let created: Record<string, unknown>;
  if (c.path === 'csr') {
    const algorithm =
      c.keyType === 'RSA-2048'
        ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }
        : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
      { name: `CN=${sn}`, keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'], signingAlgorithm: algorithm },
      webcrypto as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[1],
    );
    keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
    created = await request(`$aws/certificates/create-from-csr/${c.format}`, { certificateSigningRequest: csr.toString('pem') });
  } else {
    created = await request(`$aws/certificates/create/${c.format}`, {});
    keyPem = String(created['privateKey']);
  }
  const registered = await request(`$aws/provisioning-templates/${TEMPLATE}/provision/${c.format}`, {
    certificateOwnershipToken: created['certificateOwnershipToken'],
    parameters: { SerialNumber: sn, UPC },
  });
  await claimClient.endAsync();
  const device = await mqtt.connectAsync(url, {
    ca: claim.caPem, cert: String(created['certificatePem']), key: keyPem, servername: 'localhost',
    clientId: String(registered['thingName']), clean: true, reconnectPeriod: 0, protocolVersion: 4,
  });
  const ms = performance.now() - t0;
  await device.endAsync();
  return ms;
}

function xsFigures(): Record<string, Figure> {
  const figures: Record<string, Figure> = {};
  try {
    execFileSync(process.execPath, [path.join(root, 'test/xs/run.mjs'), 'csr'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    process.stderr.write(`provisioning bench: XS lane csr run failed (${(error as Error).message}); XS figures skipped\n`);
    return figures;
  }
  const report = JSON.parse(readFileSync(path.join(root, 'build/xs-report.json'), 'utf8')) as {
    scenarios: { file: string; measures: { label: string; compute: number; heapPeak: number; heapGrowth: number }[]; figures?: { name: string; value: number }[] }[];
  };
  const measures = report.scenarios.filter((s) => s.file.endsWith('csr.xs.ts')).flatMap((s) => s.measures);
  const put = (label: string, key: string) => {
    const m = measures.find((x) => x.label === label);
    if (!m) return;
    figures[`xs.${key}.compute`] = { value: m.compute, unit: 'XS meter units' };
    figures[`xs.${key}.heapPeak`] = { value: m.heapPeak, unit: 'heap slots' };
    figures[`xs.${key}.heapRetained`] = { value: m.heapGrowth, unit: 'heap slots' };
  };
  put('P-256 key generation', 'p256KeyGeneration');
  put('CSR build (P-256, sign included)', 'csrBuildP256');
  put('CSR build, warm', 'csrBuildP256Warm');
  put('key store P-256 key generation', 'keyStoreP256KeyGeneration');
  put('CSR build through the key store', 'csrBuildKeyStore');
  const size = report.scenarios.flatMap((s) => s.figures ?? []).find((f) => f.name === 'CSR DER size');
  if (size) figures['xs.csrBuildP256.derBytes'] = { value: size.value, unit: 'bytes' };
  return figures;
}

export default async function provisioningBench(): Promise<Record<string, Figure>> {
  const figures: Record<string, Figure> = {};
  const cloud = await startCloud({ dataDir: mkdtempSync(path.join(tmpdir(), 'bench-cloud-')), writeCloudJson: false });
  try {
    const profile = await cloud.createProvisioningProfile({ name: TEMPLATE });
    const claim = { caPem: cloud.caPem, certificatePem: profile.ClaimCertificate, privateKeyPem: profile.ClaimCertificatePrivateKey };
    // One warm-up of each side so neither pays module loading or TLS context set-up in its figures.
    await ours(cloud, claim, CASES[0]!, newThing(cloud));
    await peer(cloud, claim, CASES[0]!, newThing(cloud));
    for (const c of CASES) {
      const oursMs: number[] = [];
      const peerMs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // Alternate the order so neither side always runs on a warmer cloud.
        if (i % 2 === 0) {
          oursMs.push(await ours(cloud, claim, c, newThing(cloud)));
          peerMs.push(await peer(cloud, claim, c, newThing(cloud)));
        } else {
          peerMs.push(await peer(cloud, claim, c, newThing(cloud)));
          oursMs.push(await ours(cloud, claim, c, newThing(cloud)));
        }
      }
      figures[`provisioning.${c.name}.${c.format}.claimToDeviceConnectMs`] = timeFigure(median(oursMs), 'ms', PEER, median(peerMs), 'ratio >= 0.8 (we also persist every step)');
    }
  } finally {
    await cloud.stop();
  }
  Object.assign(figures, xsFigures());
  return figures;
}
