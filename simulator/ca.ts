import { createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { invalid } from './errors.js';

// @peculiar/x509 does all X.509/PKCS#10/CRL encoding; Node's WebCrypto does the key work.
x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type KeyAlgorithm = 'RSA' | 'EC';

const RSA_PARAMS = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;
const EC_PARAMS = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** One issued certificate: its AWS-style id (SHA-256 of the DER, hex), serial, subject CN and PEM. */
export interface IssuedCertificate {
  certificateId: string;
  serialNumber: string;
  commonName: string;
  certificatePem: string;
}

export interface IssuedCertificateWithKey extends IssuedCertificate {
  /** PKCS#1 `RSA PRIVATE KEY` for RSA (as AWS returns it), SEC1 `EC PRIVATE KEY` for P-256. */
  privateKeyPem: string;
}

/** AWS certificate ids are the SHA-256 of the DER certificate in lowercase hex. */
export function certificateIdOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export function certificateIdOfPem(pem: string): string {
  return certificateIdOf(new Uint8Array(new x509.X509Certificate(pem).rawData));
}

async function generateKeys(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  const params = algorithm === 'RSA' ? RSA_PARAMS : EC_PARAMS;
  return (await webcrypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyToPem(key: CryptoKey, algorithm: KeyAlgorithm): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const keyObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return keyObject.export({ type: algorithm === 'RSA' ? 'pkcs1' : 'sec1', format: 'pem' }).toString();
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return (await webcrypto.subtle.importKey('pkcs8', der, RSA_PARAMS, false, ['sign'])) as CryptoKey;
}

const randomSerial = (): string => {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive and always 16 bytes long
  return bytes.toString('hex');
};

const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * The local certificate authority: an RSA-2048 root kept in `<dir>/ca/`, the broker's server certificate
 * (localhost, 127.0.0.1) and every client certificate the cloud issues. The root and the server
 * certificate survive restarts, so devices provisioned earlier still trust the broker.
 */
export class LocalCa {
  readonly caPem: string;
  readonly caPath: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  readonly serverCertPath: string;
  readonly serverKeyPath: string;
  readonly #caCert: x509.X509Certificate;
  readonly #signingKey: CryptoKey;

  private constructor(files: { caPem: string; caPath: string; serverCertPem: string; serverKeyPem: string;
    serverCertPath: string; serverKeyPath: string }, signingKey: CryptoKey) {
    this.caPem = files.caPem;
    this.caPath = files.caPath;
    this.serverCertPem = files.serverCertPem;
    this.serverKeyPem = files.serverKeyPem;
    this.serverCertPath = files.serverCertPath;
    this.serverKeyPath = files.serverKeyPath;
    this.#caCert = new x509.X509Certificate(files.caPem);
    this.#signingKey = signingKey;
  }

  /** Loads the CA from `<dataDir>/ca`, creating the root and server certificate on first use. */
  static async open(dataDir: string): Promise<LocalCa> {
    const dir = join(dataDir, 'ca');
    mkdirSync(dir, { recursive: true });
    const caPath = join(dir, 'root-ca.pem');
    const caKeyPath = join(dir, 'root-ca.key.pem');
    const serverCertPath = join(dir, 'server.pem');
    const serverKeyPath = join(dir, 'server.key.pem');
    if (!existsSync(caPath) || !existsSync(caKeyPath)) {
      const keys = await generateKeys('RSA');
      const now = Date.now();
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: randomSerial(),
        name: 'CN=mi-cloud local root CA, O=mi-device-sdk simulator',
        notBefore: new Date(now - 3600_000),
        notAfter: new Date(now + 20 * YEAR_MS),
        keys,
        signingAlgorithm: RSA_PARAMS,
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      writeFileSync(caKeyPath, await privateKeyToPem(keys.privateKey, 'RSA'), { mode: 0o600 });
      writeFileSync(caPath, cert.toString('pem') + '\n');
    }
    const caPem = readFileSync(caPath, 'utf8');
    const signingKey = await importSigningKey(readFileSync(caKeyPath, 'utf8'));
    const partial = new LocalCa({ caPem, caPath, serverCertPem: '', serverKeyPem: '', serverCertPath, serverKeyPath },
      signingKey);
    if (!existsSync(serverCertPath) || !existsSync(serverKeyPath)) {
      const server = await partial.issueWithNewKey({ commonName: 'localhost', usage: 'server', algorithm: 'RSA' });
      writeFileSync(serverKeyPath, server.privateKeyPem, { mode: 0o600 });
      writeFileSync(serverCertPath, server.certificatePem);
    }
    return new LocalCa({
      caPem, caPath, serverCertPath, serverKeyPath,
      serverCertPem: readFileSync(serverCertPath, 'utf8'),
      serverKeyPem: readFileSync(serverKeyPath, 'utf8'),
    }, signingKey);
  }

  /** A new key pair and a certificate for it (CreateKeysAndCertificate, claim certificates, the broker). */
  async issueWithNewKey(options: { commonName: string; usage: 'client' | 'server'; algorithm?: KeyAlgorithm })
    : Promise<IssuedCertificateWithKey> {
    const algorithm = options.algorithm ?? 'RSA';
    const keys = await generateKeys(algorithm);
    const issued = await this.#issue(keys.publicKey, options.commonName, options.usage);
    return { ...issued, privateKeyPem: await privateKeyToPem(keys.privateKey, algorithm) };
  }

  /**
   * A certificate for the key in a PKCS#10 request (CreateCertificateFromCsr). The request's own
   * signature must verify; the subject is ours to choose, as with AWS, so the CSR's subject is ignored.
   */
  async issueFromCsr(csrPem: string, commonName: string): Promise<IssuedCertificate> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem.trim());
    } catch (error) {
      throw invalid(`certificateSigningRequest is not a PEM PKCS#10 request: ${(error as Error).message}`);
    }
    if (!(await csr.verify())) throw invalid('certificateSigningRequest signature does not verify');
    const algorithm = csr.publicKey.algorithm.name;
    if (algorithm !== 'RSASSA-PKCS1-v1_5' && algorithm !== 'ECDSA' && algorithm !== 'RSA-PSS') {
      throw invalid(`certificateSigningRequest key algorithm ${algorithm} is not RSA or ECDSA`);
    }
    return this.#issue(csr.publicKey, commonName, 'client');
  }

  /** A CRL listing `serialNumbers` (hex), for mosquitto's `crlfile`. */
  async createCrl(serialNumbers: readonly string[]): Promise<string> {
    const now = Date.now();
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.#caCert.subject,
      thisUpdate: new Date(now - 60_000),
      nextUpdate: new Date(now + 10 * YEAR_MS),
      entries: serialNumbers.map((serialNumber) => ({ serialNumber, revocationDate: new Date(now - 60_000) })),
      signingKey: this.#signingKey,
      signingAlgorithm: RSA_PARAMS,
    });
    // OpenSSL (and so mosquitto) reads only the `X509 CRL` PEM label, not the library's `CRL`.
    const base64 = Buffer.from(crl.rawData).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
    return `-----BEGIN X509 CRL-----\n${base64}\n-----END X509 CRL-----\n`;
  }

  async #issue(publicKey: x509.PublicKeyType, commonName: string, usage: 'client' | 'server')
    : Promise<IssuedCertificate> {
    const now = Date.now();
    const serialNumber = randomSerial();
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth
        : x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(this.#caCert),
    ];
    if (usage === 'server') {
      extensions.push(new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' },
      ]));
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: `CN=${commonName}`,
      issuer: this.#caCert.subject,
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + 10 * YEAR_MS),
      publicKey,
      signingKey: this.#signingKey,
      signingAlgorithm: RSA_PARAMS,
      extensions,
    });
    return {
      certificateId: certificateIdOf(new Uint8Array(cert.rawData)),
      serialNumber,
      commonName,
      certificatePem: cert.toString('pem') + '\n',
    };
  }
}

