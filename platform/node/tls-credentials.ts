/**
 * Resolves PAL TLS credentials (key-store labels, or CA bytes) into the PEM options Node's TLS
 * takes. Shared by the transport and the HTTP client so both read the key store the same way.
 */
import { createPrivateKey } from 'node:crypto';
import type { KeyStoreBackend, TlsCredentials } from '../pal/index.js';
import { encodePem } from '../../modules/codec/pem.js';
import { ObjectNotFoundError } from '../../modules/keystore/errors.js';

export interface NodeTlsPem {
  ca?: string;
  cert?: string;
  key?: string;
}

export async function resolveTlsCredentials(keyStore: KeyStoreBackend, tls: TlsCredentials): Promise<NodeTlsPem> {
  const out: NodeTlsPem = {};
  if (tls.ca) {
    const text = new TextDecoder().decode(tls.ca);
    out.ca = text.includes('-----BEGIN ') ? text : encodePem('CERTIFICATE', tls.ca);
  } else if (tls.caLabel) {
    out.ca = encodePem('CERTIFICATE', await readCertificate(keyStore, tls.caLabel));
  }
  if (tls.certificateLabel) {
    out.cert = encodePem('CERTIFICATE', await readCertificate(keyStore, tls.certificateLabel));
    const pkcs8 = await keyStore.privateKeyForTransport(tls.privateKeyLabel ?? tls.certificateLabel);
    // OpenSSL's context takes PEM; go through a KeyObject so the key never exists as our own string.
    const keyObject = createPrivateKey({ key: Buffer.from(pkcs8.buffer, pkcs8.byteOffset, pkcs8.byteLength), format: 'der', type: 'pkcs8' });
    pkcs8.fill(0);
    out.key = keyObject.export({ type: 'pkcs8', format: 'pem' }) as string;
  }
  return out;
}

async function readCertificate(keyStore: KeyStoreBackend, label: string): Promise<Uint8Array> {
  const der = await keyStore.read('certificate', label);
  if (!der) throw new ObjectNotFoundError(label, 'certificate');
  return der;
}
