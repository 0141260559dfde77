// @noble/curves 1.x P-256 with the crypto.getRandomValues shim, loaded in XS through the Moddable bundle config (the same shims and aliases as
// `npm run build:moddable`). Each dependency has a file of its own so that the table's load compute is
// that dependency's module initialisation alone.
import { scenario } from '../harness.js';
import { p256 } from '@noble/curves/p256';

scenario('@noble/curves 1.x P-256: keygen, sign, verify (crypto shim)', async (t) => {
  const secretKey = await t.measure('randomPrivateKey via crypto.getRandomValues', () => p256.utils.randomPrivateKey());
  t.equal(secretKey.length, 32, 'private key length');
  const publicKey = await t.measure('getPublicKey (builds base-point tables)', () => p256.getPublicKey(secretKey, false));
  t.equal(publicKey.length, 65, 'uncompressed public key');
  t.equal(publicKey[0], 4, 'uncompressed point prefix');
  const message = new TextEncoder().encode('managed integrations');
  const signature = await t.measure('sign (RFC 6979)', () => p256.sign(message, secretKey, { prehash: true }));
  const der = signature.toDERRawBytes();
  t.assert(der[0] === 0x30 && der.length >= 8 && der.length <= 72, `DER signature, got ${der.length} bytes`);
  const valid = await t.measure('verify', () => p256.verify(der, message, publicKey, { prehash: true }));
  t.equal(valid, true, 'signature verifies');
  const tampered = message.slice();
  tampered[0] ^= 1;
  t.equal(p256.verify(der, tampered, publicKey, { prehash: true }), false, 'a changed message does not verify');
  const second = await t.measure('second sign (tables warm)', () => p256.sign(message, secretKey, { prehash: true }));
  t.equal(second.toCompactHex(), signature.toCompactHex(), 'RFC 6979 signatures are deterministic');
  const shared = p256.getSharedSecret(secretKey, p256.getPublicKey(p256.utils.randomPrivateKey()));
  t.equal(shared.length, 33, 'ECDH shared point');
});

// The default base-point table (window 8: 4,224 points) is what makes the first getPublicKey cost
// ~17,000 retained heap slots (~270 KB on ESP32, more than the S3's default 4,928-slot heap). A
// smaller window trades compute for RAM; these rows measure it.
for (const window of [4, 2]) {
  scenario(`@noble/curves P-256 with base-point window ${window}: retained heap vs compute`, async (t) => {
    p256.ProjectivePoint.BASE.precompute(window);
    const secretKey = p256.utils.randomPrivateKey();
    const publicKey = await t.measure(`getPublicKey, window ${window}`, () => p256.getPublicKey(secretKey, false));
    const message = new TextEncoder().encode('managed integrations');
    const signature = await t.measure(`sign, window ${window}`, () => p256.sign(message, secretKey, { prehash: true }));
    const valid = await t.measure(`verify, window ${window}`, () => p256.verify(signature.toCompactRawBytes(), message, publicKey, { prehash: true }));
    t.equal(valid, true, 'signature verifies');
  });
}
