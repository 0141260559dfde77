/**
 * Defensive redaction for log lines. Callers must never log secrets; this catches mistakes: PEM
 * private-key blocks (complete or cut off), long base64 runs (a P-256 PKCS#8 key is 184 base64
 * characters, a certificate far more) and long hex runs. Pure string code with no Node imports,
 * so other platforms' loggers may import it.
 */
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;
/** 100+ base64 characters, possibly wrapped over lines as PEM bodies are (linear: no nested quantifiers). */
const BASE64_RUN = /[A-Za-z0-9+/][A-Za-z0-9+/\r\n]{98,}[A-Za-z0-9+/]={0,2}/g;
/** Hex runs long enough to hold a key. Only those that look like key DER are redacted. */
const HEX_RUN = /[0-9a-fA-F]{64,}/g;
/**
 * DER openings of private keys, in hex: PKCS#8 version 0 followed by the rsaEncryption or
 * id-ecPublicKey algorithm, and SEC1 ECPrivateKey version 1 with a 32-byte scalar. Plain hex ids
 * (a certificate id is 64 hex digits) stay readable.
 */
const KEY_DER_HEX = /020100300d06092a864886f70d0101|020100301306072a8648ce3d0201|0201010420|02010002820101/i;

export const REDACTED = '[redacted]';

export function redactSecrets(text: string): string {
  return text
    .replace(PEM_PRIVATE_KEY, '[redacted private key]')
    .replace(BASE64_RUN, (run) => (/^[0-9a-fA-F\r\n]+$/.test(run) || run.replace(/[\r\n]/g, '').length < 100 ? run : REDACTED))
    .replace(HEX_RUN, (run) => (KEY_DER_HEX.test(run) ? REDACTED : run));
}

/**
 * Turns log fields into JSON with byte arrays shown as their length only (`<32 bytes>`): key material
 * is bytes, and nothing a log reader needs is.
 */
export function fieldsToJson(fields: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(fields, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
    if (value instanceof ArrayBuffer) return `<${value.byteLength} bytes>`;
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return { name: value.name, message: value.message, ...(value as { code?: unknown }).code !== undefined ? { code: (value as { code?: unknown }).code } : {} };
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[circular]';
      seen.add(value);
    }
    return value;
  });
}
