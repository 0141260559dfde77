/**
 * Test PKI: certificates and keys made at test time with @peculiar/x509 over Node's WebCrypto.
 *
 * Simple API (all PEM strings; keys are PKCS#8 "PRIVATE KEY"):
 *   const pki = await createTestPki();   // memoised per process: same PKI for every caller
 *   pki.ca.certPem                       // root CA that signed everything below (except pki.otherCa's)
 *   pki.server                           // server cert, CN=localhost, SANs: DNS localhost, IP 127.0.0.1
 *   pki.wrongNameServer                  // server cert by pki.ca for "not-this-host.example" only
 *   pki.clientRsa / pki.clientP256       // client certs (RSA-2048 / EC P-256), signed by pki.ca
 *   pki.expiredClient                    // client cert (P-256) by pki.ca, expired a day ago
 *   pki.otherCa, pki.otherCaClient       // an unrelated CA and a client cert (P-256) signed by it
 *
 * Each issued credential is { certPem, keyPem, certDer, keyDer, keyType }.
 * For custom cases: `createCa(commonName)` and `issueCertificate(ca, options)`.
 */
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type PkiKeyType = 'EC-P256' | 'RSA-2048';

export interface IssuedCredential {
  certPem: string;
  keyPem: string;
  certDer: Uint8Array;
  /** PKCS#8 DER. */
  keyDer: Uint8Array;
  keyType: PkiKeyType;
}

export interface TestCa extends IssuedCredential {
  commonName: string;
  /** @internal the CA's signing key, used by issueCertificate */
  readonly signingKey: CryptoKey;
  readonly certificate: x509.X509Certificate;
}

export interface IssueOptions {
  commonName: string;
  keyType?: PkiKeyType;
  /** DNS names and IP addresses for subjectAltName (server certificates). */
  dnsNames?: string[];
  ipAddresses?: string[];
  /** 'server' adds serverAuth, 'client' clientAuth (default). */
  usage?: 'server' | 'client';
  notBefore?: Date;
  notAfter?: Date;
}

export interface TestPki {
  ca: TestCa;
  server: IssuedCredential;
  wrongNameServer: IssuedCredential;
  clientRsa: IssuedCredential;
  clientP256: IssuedCredential;
  expiredClient: IssuedCredential;
  otherCa: TestCa;
  otherCaClient: IssuedCredential;
}

const subtle = webcrypto.subtle;

function algorithmFor(keyType: PkiKeyType): { gen: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; sign: webcrypto.Algorithm | webcrypto.EcdsaParams } {
  return keyType === 'RSA-2048'
    ? {
        gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
        sign: { name: 'RSASSA-PKCS1-v1_5' },
      }
    : { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams };
}

async function generateKeys(keyType: PkiKeyType): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(algorithmFor(keyType).gen, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function credentialOf(cert: x509.X509Certificate, keys: CryptoKeyPair, keyType: PkiKeyType): Promise<IssuedCredential> {
  const keyDer = new Uint8Array(await subtle.exportKey('pkcs8', keys.privateKey));
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: x509.PemConverter.encode(keyDer.buffer as ArrayBuffer, 'PRIVATE KEY') + '\n',
    certDer: new Uint8Array(cert.rawData),
    keyDer,
    keyType,
  };
}

function serial(): string {
  // Positive, non-zero 16-byte serial.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

const DAY = 24 * 3600 * 1000;

export async function createCa(commonName: string, keyType: PkiKeyType = 'EC-P256'): Promise<TestCa> {
  const keys = await generateKeys(keyType);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    signingAlgorithm: algorithmFor(keyType).sign,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { ...(await credentialOf(certificate, keys, keyType)), commonName, signingKey: keys.privateKey, certificate };
}

export async function issueCertificate(ca: TestCa, options: IssueOptions): Promise<IssuedCredential> {
  const keyType = options.keyType ?? 'EC-P256';
  const keys = await generateKeys(keyType);
  const names: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const server = options.usage === 'server';
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | (keyType === 'RSA-2048' ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    new x509.ExtendedKeyUsageExtension([server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.commonName}`,
    issuer: ca.certificate.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    signingAlgorithm: algorithmFor(ca.keyType).sign,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    extensions,
  });
  return credentialOf(certificate, keys, keyType);
}

let memo: Promise<TestPki> | undefined;

/** The shared test PKI (made once per process; RSA key generation is the slow part). */
export function createTestPki(): Promise<TestPki> {
  memo ??= (async () => {
    const ca = await createCa('mi-device-sdk Test Root CA');
    const otherCa = await createCa('Some Other CA');
    const [server, wrongNameServer, clientRsa, clientP256, expiredClient, otherCaClient] = await Promise.all([
      issueCertificate(ca, { commonName: 'localhost', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }),
      issueCertificate(ca, { commonName: 'not-this-host.example', usage: 'server', dnsNames: ['not-this-host.example'] }),
      issueCertificate(ca, { commonName: 'device-rsa', keyType: 'RSA-2048' }),
      issueCertificate(ca, { commonName: 'device-p256' }),
      issueCertificate(ca, {
        commonName: 'device-expired',
        notBefore: new Date(Date.now() - 30 * DAY),
        notAfter: new Date(Date.now() - DAY),
      }),
      issueCertificate(otherCa, { commonName: 'device-other-ca' }),
    ]);
    return { ca, server, wrongNameServer, clientRsa, clientP256, expiredClient, otherCa, otherCaClient };
  })();
  return memo;
}
