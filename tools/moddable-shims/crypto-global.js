// Gives @noble/hashes' randomBytes the `globalThis.crypto.getRandomValues` it looks for. XS has no Web
// Crypto; the bytes come from `mi:random-source` — esp_random through the Moddable platform on the
// device, a seeded deterministic generator in the XS lane (tools/moddable-bundle-config.mjs picks).
import { fillRandom } from 'mi:random-source';

const MAX_BYTES = 65536; // the Web Crypto limit, kept so code behaves the same as on Node

if (typeof globalThis.crypto?.getRandomValues !== 'function') {
  const getRandomValues = (array) => {
    if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
      throw new TypeError('getRandomValues expects an integer typed array');
    }
    if (array.byteLength > MAX_BYTES) {
      throw new RangeError(`getRandomValues: at most ${MAX_BYTES} bytes per call, got ${array.byteLength}`);
    }
    fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return array;
  };
  globalThis.crypto = { ...(globalThis.crypto ?? {}), getRandomValues };
}
