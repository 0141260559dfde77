// The PKCS#10 builder (modules/codec/csr.ts) in XS: a P-256 key pair made with @noble/curves 1.x, the CSR
// laid out in DER and signed, the signature checked with the public key from the request itself.
// Figures: compute and heap of a P-256 key generation and of one CSR build (bench/provisioning.bench.ts
// copies them from build/xs-report.json).
import { scenario } from '../harness.js';
import { createLanePlatform } from '../lane-platform.js';
import { p256 } from '@noble/curves/p256';
import { buildCsr, csrToPem } from '../../../modules/codec/csr.js';
import { decodePem } from '../../../modules/codec/pem.js';
import type { SignMechanism } from '../../../modules/keystore/types.js';
import { KeyStore, SoftwareKeyStoreBackend } from '../../../modules/keystore/index.js';

const SPKI_P256_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
  0x01, 0x07, 0x03, 0x42, 0x00,
]);

/** The two key-store operations the builder needs, over a noble key held in this closure (as the portable store does). */
function nobleStore(secretKey: Uint8Array) {
  const point = p256.getPublicKey(secretKey, false);
  const spki = new Uint8Array(SPKI_P256_PREFIX.length + point.length);
  spki.set(SPKI_P256_PREFIX);
  spki.set(point, SPKI_P256_PREFIX.length);
  return {
    point,
    getPublicKey: async () => spki,
    // PKCS#11 CKM_ECDSA_SHA256 semantics: hash inside, raw r‖s out.
    sign: async (_label: string, _mechanism: SignMechanism, data: Uint8Array) => p256.sign(data, secretKey, { prehash: true }).toCompactRawBytes(),
  };
}

/** Walks to the three top-level parts of a CertificationRequest (lengths < 64 KiB). */
function split(der: Uint8Array): { info: Uint8Array; signature: Uint8Array } {
  const header = (at: number) => {
    const first = der[at + 1]!;
    const n = first & 0x80 ? first & 0x7f : 0;
    let length = n ? 0 : first;
    for (let i = 0; i < n; i++) length = length * 256 + der[at + 2 + i]!;
    return { start: at + 2 + n, end: at + 2 + n + length };
  };
  const outer = header(0);
  const info = header(outer.start);
  const algorithm = header(info.end);
  const bits = header(algorithm.end);
  return { info: der.subarray(outer.start, info.end), signature: der.subarray(bits.start + 1, bits.end) };
}

scenario('CSR: P-256 key generation and a PKCS#10 request built and signed in XS', async (t) => {
  const platform = createLanePlatform();
  // Key generation is the secret scalar plus its public point (the first one also builds noble's base-point tables).
  const store = await t.measure('P-256 key generation', () => nobleStore(p256.utils.randomPrivateKey()));
  const subject = { commonName: 'SN-000123', organization: 'Example Corp', country: 'US', serialNumber: 'SN-000123' };
  const der = await t.measure('CSR build (P-256, sign included)', () =>
    buildCsr({ keyStore: store, keyLabel: 'Device Key', keyType: 'EC-P256', subject, text: platform.text }),
  );
  t.figure('CSR DER size', der.length, 'bytes');
  const pem = csrToPem(der);
  t.equal(decodePem(pem, 'CERTIFICATE REQUEST'), der, 'PEM round trip');
  const { info, signature } = split(der);
  t.assert(p256.verify(signature, info, store.point, { prehash: true }), 'the self-signature verifies with the public key');
  const tampered = info.slice();
  tampered[tampered.length - 3]! ^= 1;
  t.assert(!p256.verify(signature, tampered, store.point, { prehash: true }), 'a changed request does not verify');
  t.log(pem);
});

scenario('CSR: a second build with warm tables', async (t) => {
  const platform = createLanePlatform();
  const store = nobleStore(p256.utils.randomPrivateKey());
  await buildCsr({ keyStore: store, keyLabel: 'k', keyType: 'EC-P256', subject: { commonName: 'warm-up' }, text: platform.text });
  const der = await t.measure('CSR build, warm', () =>
    buildCsr({ keyStore: store, keyLabel: 'k', keyType: 'EC-P256', subject: { commonName: 'device-0002' }, text: platform.text }),
  );
  t.assert(der[0] === 0x30 && der.length > 200, `a DER request, got ${der.length} bytes`);
  await t.throws(() => buildCsr({ keyStore: store, keyLabel: 'k', keyType: 'EC-P256', subject: { commonName: '' }, text: platform.text }), 'common name');
});

scenario('CSR: the portable key store (software backend, in-memory storage) generates the key and signs', async (t) => {
  const platform = createLanePlatform();
  const keyStore = new KeyStore(new SoftwareKeyStoreBackend({ storage: platform.storage, random: platform.random, text: platform.text }));
  await t.measure('key store P-256 key generation', () => keyStore.generateKeyPair('Device Key', 'EC-P256'));
  const der = await t.measure('CSR build through the key store', () =>
    buildCsr({ keyStore, keyLabel: 'Device Key', keyType: 'EC-P256', subject: { commonName: 'SN-000124', serialNumber: 'SN-000124' }, text: platform.text }),
  );
  const { info, signature } = split(der);
  const spki = await keyStore.getPublicKey('Device Key');
  const point = spki.subarray(spki.length - 65);
  t.assert(p256.verify(signature, info, point, { prehash: true }), 'the self-signature verifies with the stored public key');
  t.equal((await keyStore.find({ label: 'Device Key' })).map((o) => o.class).sort(), ['private-key', 'public-key'], 'key pair stored');
  t.log(csrToPem(der));
});
