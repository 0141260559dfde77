import { createPrivateKey, createPublicKey, createHash, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidKeyDataError,
  KeyStore,
  Labels,
  MechanismMismatchError,
  ObjectNotFoundError,
  PrivateKeyAccessError,
  SoftwareKeyStoreBackend,
  UnsupportedKeyTypeError,
} from '../../modules/keystore/index.js';
import { parsePrivateKey } from '../../modules/keystore/key-formats.js';
import { NodeFileStorage, NodeKeyStoreBackend, NodeLogger, NodeRandom, NodeTextCodec } from '../../platform/node/index.js';
import type { KeyStoreBackend } from '../../platform/pal/index.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { LeakDetector } from './leak-detector.js';

const leaks = new LeakDetector();
const logger = new NodeLogger({ level: 'debug', sink: leaks.sink });
let pki: TestPki;
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mi-keystore-'));
  dirs.push(dir);
  return dir;
}

function verifyWithNode(spki: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return key.asymmetricKeyType === 'ec'
    ? cryptoVerify('sha256', data, { key, dsaEncoding: 'der' }, signature)
    : cryptoVerify('sha256', data, key, signature);
}

function nodeSpkiOf(pem: string): Uint8Array {
  return new Uint8Array(createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' }));
}

/** Registers a stored private key's bytes with the leak detector (via the transport-only path). */
async function trackSecret(backend: KeyStoreBackend, label: string): Promise<void> {
  const pkcs8 = await backend.privateKeyForTransport(label);
  leaks.addSecret(`key "${label}"`, pkcs8);
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  const jwk = key.export({ format: 'jwk' });
  // The raw secret scalar / exponent too, not only the DER around it.
  leaks.addSecret(`key "${label}" d`, Buffer.from(jwk.d!, 'base64url'));
}

beforeAll(async () => {
  pki = await createTestPki();
  leaks.addSecret('clientRsa', pki.clientRsa.keyDer);
  leaks.addSecret('clientP256', pki.clientP256.keyDer);
  leaks.addSecret('otherCaClient', pki.otherCaClient.keyDer);
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const backends: { name: string; make: () => { backend: KeyStoreBackend; files: string } }[] = [
  {
    name: 'software backend over Node file storage',
    make: () => {
      const files = tempDir();
      const backend = new SoftwareKeyStoreBackend({ storage: new NodeFileStorage(files), random: new NodeRandom(), text: new NodeTextCodec() });
      return { backend, files };
    },
  },
  {
    name: 'Node backend (node:crypto)',
    make: () => {
      const files = tempDir();
      return { backend: new NodeKeyStoreBackend(files), files };
    },
  },
];

for (const { name, make } of backends) {
  describe(`KeyStore with the ${name}`, () => {
    let backend: KeyStoreBackend;
    let files: string;
    let store: KeyStore;

    beforeAll(() => {
      ({ backend, files } = make());
      store = new KeyStore(backend, { log: logger });
    });

    it('generates a P-256 key pair whose signatures node:crypto verifies', async () => {
      const info = await store.generateKeyPair(Labels.deviceKey, 'EC-P256');
      await trackSecret(backend, Labels.deviceKey);
      expect(info).toMatchObject({ class: 'private-key', label: 'Device Key', keyType: 'EC-P256' });
      const spki = await store.getPublicKey(Labels.deviceKey);
      const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect([...info.id]).toEqual([...createHash('sha256').update(spki).digest()]);
      const data = new TextEncoder().encode('CertificationRequestInfo bytes');
      const signature = await store.sign(Labels.deviceKey, 'ECDSA-SHA256', data);
      expect(signature[0]).toBe(0x30); // DER Ecdsa-Sig-Value
      expect(verifyWithNode(spki, data, signature)).toBe(true);
      expect(verifyWithNode(spki, new TextEncoder().encode('other bytes'), signature)).toBe(false);
    });

    it('generates a different key each time', async () => {
      await store.generateKeyPair('Key A', 'EC-P256');
      await store.generateKeyPair('Key B', 'EC-P256');
      await trackSecret(backend, 'Key A');
      await trackSecret(backend, 'Key B');
      expect(await store.getPublicKey('Key A')).not.toEqual(await store.getPublicKey('Key B'));
    });

    it('hands the transport a PKCS#8 key that node:crypto loads and that matches the public key', async () => {
      const pkcs8 = await backend.privateKeyForTransport(Labels.deviceKey);
      const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
      const spki = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
      expect(spki).toEqual(await store.getPublicKey(Labels.deviceKey));
    });

    it('finds objects by label and class, as plain data without key bytes', async () => {
      const byLabel = await store.find({ label: Labels.deviceKey });
      expect(byLabel.map((o) => o.class).sort()).toEqual(['private-key', 'public-key']);
      expect(byLabel[0]!.id).toEqual(byLabel[1]!.id);
      const privateKeys = await store.find({ class: 'private-key' });
      expect(privateKeys.map((o) => o.label)).toContain(Labels.deviceKey);
      for (const info of byLabel) expect(Object.keys(info).sort()).toEqual(['class', 'id', 'keyType', 'label']);
      leaks.texts.push(JSON.stringify(byLabel), inspect(byLabel), inspect(store), JSON.stringify(store), String(store));
      leaks.texts.push(inspect(backend, { depth: 5, showHidden: true }), JSON.stringify(backend), String(backend));
    });

    it('imports an RSA key in PKCS#8 and PKCS#1 PEM and a P-256 key in SEC1 PEM and PKCS#8 DER', async () => {
      const rsa = createPrivateKey(pki.clientRsa.keyPem);
      const pkcs1Pem = rsa.export({ type: 'pkcs1', format: 'pem' }) as string;
      const sec1Pem = createPrivateKey(pki.clientP256.keyPem).export({ type: 'sec1', format: 'pem' }) as string;
      const cases: [string, Uint8Array | string, string, 'RSA-2048' | 'EC-P256'][] = [
        ['RSA PKCS8', pki.clientRsa.keyPem, pki.clientRsa.keyPem, 'RSA-2048'],
        ['RSA PKCS1', pkcs1Pem, pki.clientRsa.keyPem, 'RSA-2048'],
        ['EC SEC1', sec1Pem, pki.clientP256.keyPem, 'EC-P256'],
        ['EC DER', pki.clientP256.keyDer, pki.clientP256.keyPem, 'EC-P256'],
        ['EC PEM bytes', new TextEncoder().encode(pki.clientP256.keyPem), pki.clientP256.keyPem, 'EC-P256'],
      ];
      for (const [label, input, pem, keyType] of cases) {
        const info = await store.putPrivateKey(label, input);
        expect(info.keyType, label).toBe(keyType);
        const spki = await store.getPublicKey(label);
        expect(spki, label).toEqual(nodeSpkiOf(pem));
        const transportKey = createPrivateKey({ key: Buffer.from(await backend.privateKeyForTransport(label)), format: 'der', type: 'pkcs8' });
        expect(transportKey.asymmetricKeyType).toBe(keyType === 'RSA-2048' ? 'rsa' : 'ec');
      }
      const data = new TextEncoder().encode('sign me');
      expect(verifyWithNode(await store.getPublicKey('EC SEC1'), data, await store.sign('EC SEC1', 'ECDSA-SHA256', data))).toBe(true);
    });

    it('links a certificate to its key by id and returns its DER', async () => {
      await store.putPrivateKey(Labels.claimKey, pki.clientP256.keyPem);
      const certInfo = await store.putCertificate(Labels.claimCert, pki.clientP256.certPem);
      const keyInfo = (await store.find({ label: Labels.claimKey, class: 'private-key' }))[0]!;
      expect(certInfo.id).toEqual(keyInfo.id);
      expect(await store.getCertificate(Labels.claimCert)).toEqual(pki.clientP256.certDer);
      // A certificate's public key is available under its label too.
      expect(await store.getPublicKey(Labels.claimCert)).toEqual(nodeSpkiOf(pki.clientP256.keyPem));
      const root = await store.putCertificate(Labels.rootCert, new TextEncoder().encode(pki.ca.certPem));
      expect(root.class).toBe('certificate');
      expect(await store.getCertificate(Labels.rootCert)).toEqual(pki.ca.certDer);
    });

    it('stores a public key (code signing) given as PEM', async () => {
      const pem = createPublicKey(createPrivateKey(pki.otherCaClient.keyPem)).export({ type: 'spki', format: 'pem' }) as string;
      const info = await store.putPublicKey('Code Sign Key', pem);
      expect(info).toMatchObject({ class: 'public-key', keyType: 'EC-P256' });
      expect(await store.getPublicKey('Code Sign Key')).toEqual(nodeSpkiOf(pki.otherCaClient.keyPem));
    });

    it('destroys one class or the whole set of a label', async () => {
      await store.putPrivateKey('Doomed', pki.clientP256.keyPem);
      await store.putCertificate('Doomed', pki.clientP256.certPem);
      await store.destroy('Doomed', 'certificate');
      expect((await store.find({ label: 'Doomed' })).map((o) => o.class).sort()).toEqual(['private-key', 'public-key']);
      await store.destroy('Doomed');
      expect(await store.find({ label: 'Doomed' })).toEqual([]);
      const error = await leaks.expectRejection(store.sign('Doomed', 'ECDSA-SHA256', new Uint8Array(1)));
      expect(error).toBeInstanceOf(ObjectNotFoundError);
      await store.destroy('Never Existed');
    });

    it('signs RSA-PKCS1-SHA256 where the platform can, and says so where it cannot', async () => {
      const data = new TextEncoder().encode('rsa data');
      if (backend.generatableKeyTypes.includes('RSA-2048')) {
        const signature = await store.sign('RSA PKCS8', 'RSA-PKCS1-SHA256', data);
        expect(verifyWithNode(await store.getPublicKey('RSA PKCS8'), data, signature)).toBe(true);
        await store.generateKeyPair('Generated RSA', 'RSA-2048');
        await trackSecret(backend, 'Generated RSA');
        const s2 = await store.sign('Generated RSA', 'RSA-PKCS1-SHA256', data);
        expect(verifyWithNode(await store.getPublicKey('Generated RSA'), data, s2)).toBe(true);
      } else {
        expect(await leaks.expectRejection(store.sign('RSA PKCS8', 'RSA-PKCS1-SHA256', data))).toBeInstanceOf(UnsupportedKeyTypeError);
        expect(await leaks.expectRejection(store.generateKeyPair('Generated RSA', 'RSA-2048'))).toBeInstanceOf(UnsupportedKeyTypeError);
      }
    });

    it('refuses a mechanism that does not fit the key', async () => {
      const error = await leaks.expectRejection(store.sign(Labels.deviceKey, 'RSA-PKCS1-SHA256', new Uint8Array(4)));
      expect(error).toBeInstanceOf(MechanismMismatchError);
      expect(error.message).toBe('mechanism RSA-PKCS1-SHA256 cannot sign with the EC-P256 key "Device Key"');
      expect(await leaks.expectRejection(backend.sign('RSA PKCS8', 'ECDSA-SHA256', new Uint8Array(4)))).toBeInstanceOf(MechanismMismatchError);
    });

    it('never reads a private key out through the public-object path', async () => {
      const error = await leaks.expectRejection(backend.read('private-key' as 'certificate', Labels.deviceKey));
      expect(error).toBeInstanceOf(PrivateKeyAccessError);
    });

    it('rejects damaged key data with messages that do not echo it', async () => {
      const der = pki.clientRsa.keyDer;
      const body = pki.clientRsa.keyPem.split('\n').filter((l) => !l.startsWith('-----'));
      const inputs: (string | Uint8Array)[] = [
        der.subarray(0, der.length - 10), // truncated DER
        Uint8Array.from([...der.subarray(0, 30), 0xff, ...der.subarray(31)]), // a corrupted byte
        `-----BEGIN PRIVATE KEY-----\n${body.slice(0, 5).join('\n')}\n-----END PRIVATE KEY-----\n`, // cut PEM
        `-----BEGIN PRIVATE KEY-----\n${body.join('\n').replace(/A/g, '*')}\n-----END PRIVATE KEY-----\n`, // bad base64
        `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${body.join('\n')}\n-----END ENCRYPTED PRIVATE KEY-----\n`,
        pki.clientP256.certPem, // a certificate where a key was expected
      ];
      for (const input of inputs) {
        const error = await leaks.expectRejection(store.putPrivateKey('Bad Key', input));
        expect(error).toBeInstanceOf(InvalidKeyDataError);
      }
      expect(await store.find({ label: 'Bad Key' })).toEqual([]);
    });

    it('writes every key store file with mode 0600', async () => {
      const names = readdirSync(files);
      expect(names.length).toBeGreaterThan(5);
      for (const name of names) expect(statSync(join(files, name)).mode & 0o777, name).toBe(0o600);
    });
  });
}

describe('key formats', () => {
  it('parses PEM private keys without the Node crypto library (portable path) into the same SPKI node derives', () => {
    for (const pem of [pki.clientRsa.keyPem, pki.clientP256.keyPem, pki.expiredClient.keyPem]) {
      expect(parsePrivateKey(pem).spki).toEqual(nodeSpkiOf(pem));
    }
  });

  it('rejects an RSA key that is not 2048 bits', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    let caught: unknown;
    try {
      parsePrivateKey(small);
    } catch (error) {
      caught = error;
      leaks.recordError(error);
    }
    expect(caught).toBeInstanceOf(InvalidKeyDataError);
    expect((caught as Error).message).toMatch(/2048-bit/);
  });
});

describe('no private key bytes anywhere (runs after the suites above)', () => {
  it('finds none in any log line, error text or object dump', () => {
    expect(leaks.texts.length).toBeGreaterThan(30);
    expect(leaks.secretCount).toBeGreaterThan(10);
    expect(leaks.texts.some((t) => t.includes('[keystore] generated key pair'))).toBe(true);
    expect(leaks.findLeaks()).toEqual([]);
  });

  it('would catch a leak in PEM, DER hex, base64 or a fragment of the key', () => {
    const der = pki.clientP256.keyDer;
    const hex = Buffer.from(der).toString('hex');
    const samples = [
      pki.clientP256.keyPem,
      pki.clientP256.keyPem.split('\n')[2]!, // one PEM body line
      `key=${hex}`,
      `KEY=${hex.toUpperCase()}`,
      `fragment ${hex.slice(40, 80)}`,
      `b64 ${Buffer.from(der).toString('base64')}`,
      `b64 fragment ${Buffer.from(der.subarray(37, 70)).toString('base64')}`,
      `scalar ${Buffer.from(der.subarray(36, 68)).toString('hex')}`,
    ];
    for (const sample of samples) expect(leaks.findLeaks([sample]).length, sample.slice(0, 30)).toBeGreaterThan(0);
  });
});
