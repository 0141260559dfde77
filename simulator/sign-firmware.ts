import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** The OTA job document of device-protocol.md section 3. */
export interface OtaJobDocument {
  ota: {
    version: string;
    url: string;
    size: number;
    /** SHA-256 of the whole image, lowercase hex. */
    sha256: string;
    /** Base64 DER ECDSA P-256 signature over the SHA-256 of the image. */
    signature: string;
    /** Label of the code-signing public key in the device's key store. */
    signingKey: string;
  };
}

export interface SignFirmwareOptions {
  /** The image file (or its bytes). */
  image: string | Uint8Array;
  /** PEM ECDSA P-256 private key (PKCS#8 or SEC1). */
  keyPem: string;
  version: string;
  /** Where devices download it; default `http://127.0.0.1/firmware/<file name>` (pass the cloud's firmwareUrl). */
  url?: string;
  signingKey?: string;
}

/** Signs a firmware image and returns its OTA job document. */
export function signFirmware(options: SignFirmwareOptions): OtaJobDocument {
  const bytes = typeof options.image === 'string' ? readFileSync(options.image) : Buffer.from(options.image);
  const key = createPrivateKey(options.keyPem);
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw new Error(`the signing key must be ECDSA P-256, got ${key.asymmetricKeyType} ${details?.namedCurve ?? ''}`.trim());
  }
  // ECDSA with SHA-256 over the image: the signature's message digest is the image's SHA-256.
  const signature = sign('sha256', bytes, { key, dsaEncoding: 'der' });
  const name = typeof options.image === 'string' ? basename(options.image) : 'firmware.bin';
  return {
    ota: {
      version: options.version,
      url: options.url ?? `http://127.0.0.1/firmware/${encodeURIComponent(name)}`,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      signature: signature.toString('base64'),
      signingKey: options.signingKey ?? 'OTA Signing Key',
    },
  };
}

/** A new code-signing key pair: PKCS#8 private key and SPKI public key, PEM. */
export function createSigningKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The public key of a private signing key (what the device stores under the signingKey label). */
export function publicKeyOf(keyPem: string): string {
  return createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();
}
