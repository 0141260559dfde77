/**
 * Collects every log line and error text the key store tests produce, and finds private key bytes in
 * them in any of the usual spellings: PEM body lines, base64 and hex (either case) of the PKCS#8 DER
 * and of the raw key material inside it, by sliding windows, so a partial leak is caught too.
 */
import { encodeBase64 } from '../../modules/codec/base64.js';
import { encodeHex } from '../../modules/codec/hex.js';

export class LeakDetector {
  readonly texts: string[] = [];
  readonly #secrets: { name: string; der: Uint8Array }[] = [];

  /** Log sink for NodeLogger. */
  readonly sink = (line: string): void => {
    this.texts.push(line);
  };

  addSecret(name: string, der: Uint8Array): void {
    this.#secrets.push({ name, der: der.slice() });
  }

  get secretCount(): number {
    return this.#secrets.length;
  }

  /** Records an error's name, message, stack and String() form. */
  recordError(error: unknown): void {
    if (error instanceof Error) {
      this.texts.push(`${error.name}: ${error.message}`, String(error.stack ?? ''), String(error), JSON.stringify(error));
      if (error.cause !== undefined) this.recordError(error.cause);
    } else {
      this.texts.push(String(error));
    }
  }

  /** Awaits `promise`, which must reject; records and returns the error. */
  async expectRejection(promise: Promise<unknown>): Promise<Error> {
    try {
      await promise;
    } catch (error) {
      this.recordError(error);
      return error as Error;
    }
    throw new Error('expected the operation to fail');
  }

  /** Descriptions of every leak found in `texts` (or in `extra`). */
  findLeaks(extra: readonly string[] = []): string[] {
    const haystack = [...this.texts, ...extra].join('\n');
    const lower = haystack.toLowerCase();
    const flat = haystack.replace(/\s+/g, '');
    const leaks: string[] = [];
    for (const { name, der } of this.#secrets) {
      // Windows of 12 bytes: long enough never to match by chance, short enough to catch a fragment.
      const windowBytes = 12;
      for (let i = 0; i + windowBytes <= der.length; i += 4) {
        const slice = der.subarray(i, i + windowBytes);
        const hex = encodeHex(slice);
        if (lower.includes(hex)) {
          leaks.push(`${name}: hex of bytes ${i}..${i + windowBytes}`);
          break;
        }
      }
      // Base64 depends on alignment: try the three byte phases.
      const b64 = encodeBase64(der);
      for (let i = 0; i + 20 <= b64.length; i += 4) {
        if (flat.includes(b64.slice(i, i + 20))) {
          leaks.push(`${name}: base64 at ${i}`);
          break;
        }
      }
      for (const phase of [1, 2]) {
        const shifted = encodeBase64(der.subarray(phase));
        for (let i = 0; i + 20 <= shifted.length; i += 4) {
          if (flat.includes(shifted.slice(i, i + 20))) {
            leaks.push(`${name}: base64 (phase ${phase}) at ${i}`);
            break;
          }
        }
      }
    }
    if (/PRIVATE KEY-----/.test(haystack)) leaks.push('a PEM PRIVATE KEY armour line');
    return leaks;
  }
}
