// @noble/hashes 1.7 SHA-256 and HMAC, loaded in XS through the Moddable bundle config (the same shims and aliases as
// `npm run build:moddable`). Each dependency has a file of its own so that the table's load compute is
// that dependency's module initialisation alone.
import { scenario } from '../harness.js';
import { sha256 } from '@noble/hashes/sha2';
import { hmac } from '@noble/hashes/hmac';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

scenario('@noble/hashes 1.7: SHA-256 and HMAC known answers', async (t) => {
  const abc = new TextEncoder().encode('abc');
  const digest = await t.measure('sha256("abc")', () => sha256(abc));
  t.equal(hex(digest), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'FIPS 180-2 vector');
  const key = new Uint8Array(20).fill(0x0b);
  const mac = await t.measure('hmac-sha256 (RFC 4231 case 1)', () => hmac(sha256, key, new TextEncoder().encode('Hi There')));
  t.equal(hex(mac), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7', 'RFC 4231 vector');
  const block = new Uint8Array(64 * 1024).fill(0x61);
  await t.measure('sha256 of 64 KiB', () => sha256(block));
});
