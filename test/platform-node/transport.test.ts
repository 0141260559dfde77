import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeKeyStoreBackend, NodeTransport } from '../../platform/node/index.js';
import { TransportError, type Connection, type ConnectOptions } from '../../platform/pal/index.js';
import { createTestPki, issueCertificate, type IssuedCredential, type TestPki } from '../helpers/pki.js';
import { startOpensslServer, startTlsEchoServer, type TlsEchoServer } from '../helpers/tls-server.js';

let pki: TestPki;
let dir: string;
let backend: NodeKeyStoreBackend;
let transport: NodeTransport;
let server: TlsEchoServer;

const ID = new Uint8Array(32);

async function storeClient(label: string, credential: IssuedCredential): Promise<void> {
  await backend.put({ class: 'certificate', label, id: ID }, credential.certDer);
  await backend.put({ class: 'private-key', label, id: ID, keyType: credential.keyType }, credential.keyDer);
}

function echoOnce(connection: Connection, text: string): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    connection.onData = (data) => {
      received += new TextDecoder().decode(data);
      if (received.length >= text.length) resolve(received);
    };
    connection.write(new TextEncoder().encode(text));
  });
}

async function expectTransportError(promise: Promise<unknown>, code: TransportError['code']): Promise<TransportError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  expect((error as TransportError).code, (error as Error).message).toBe(code);
  return error as TransportError;
}

function tlsOptions(port: number, overrides: Partial<NonNullable<ConnectOptions['tls']>> = {}): ConnectOptions {
  return {
    host: '127.0.0.1',
    port,
    connectTimeoutMs: 5000,
    tls: { caLabel: 'Root Cert', certificateLabel: 'Device Cert', privateKeyLabel: 'Device Cert', serverName: 'localhost', ...overrides },
  };
}

beforeAll(async () => {
  pki = await createTestPki();
  dir = mkdtempSync(join(tmpdir(), 'mi-transport-'));
  backend = new NodeKeyStoreBackend(dir);
  transport = new NodeTransport(backend);
  await backend.put({ class: 'certificate', label: 'Root Cert', id: ID }, pki.ca.certDer);
  await storeClient('Device Cert', pki.clientP256);
  await storeClient('RSA Cert', pki.clientRsa);
  await storeClient('Expired Cert', pki.expiredClient);
  await storeClient('Other CA Cert', pki.otherCaClient);
  server = await startTlsEchoServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, alpn: ['x-amzn-mqtt-ca'] });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('NodeTransport over TLS with client certificates from the key store', () => {
  it('connects with a P-256 client key and echoes bytes', async () => {
    const connection = await transport.connect(tlsOptions(server.port));
    expect(await echoOnce(connection, 'hello over mutual TLS')).toBe('hello over mutual TLS');
    const closed = new Promise<TransportError | undefined>((resolve) => (connection.onClose = resolve));
    connection.close();
    expect(await closed).toBeUndefined();
    expect(server.clientSubjects).toContain('device-p256');
    expect(server.serverNames.at(-1)).toBe('localhost'); // SNI from serverName, though we dialled 127.0.0.1
  });

  it('connects with an RSA-2048 client key', async () => {
    const connection = await transport.connect(tlsOptions(server.port, { certificateLabel: 'RSA Cert', privateKeyLabel: 'RSA Cert' }));
    expect(await echoOnce(connection, 'rsa')).toBe('rsa');
    connection.close();
    expect(server.clientSubjects).toContain('device-rsa');
  });

  it('passes ALPN through', async () => {
    const connection = await transport.connect(tlsOptions(server.port, { alpn: ['x-amzn-mqtt-ca'] }));
    expect((connection as unknown as { alpnProtocol: string }).alpnProtocol).toBe('x-amzn-mqtt-ca');
    await echoOnce(connection, 'x');
    connection.close();
    expect(server.alpnProtocols.at(-1)).toBe('x-amzn-mqtt-ca');
  });

  it('refuses a client certificate from another CA with certificate-rejected', async () => {
    const before = server.handshakeErrors.length;
    await expectTransportError(transport.connect(tlsOptions(server.port, { certificateLabel: 'Other CA Cert', privateKeyLabel: 'Other CA Cert' })), 'certificate-rejected');
    await new Promise((r) => setTimeout(r, 20));
    expect(server.handshakeErrors.length).toBeGreaterThan(before);
  });

  it('refuses an expired client certificate with certificate-rejected', async () => {
    await expectTransportError(transport.connect(tlsOptions(server.port, { certificateLabel: 'Expired Cert', privateKeyLabel: 'Expired Cert' })), 'certificate-rejected');
    expect(server.clientSubjects).not.toContain('device-expired');
  });

  for (const [tls13, badLabel, alert] of [
    [false, 'Other CA Cert', /unknown ca/i],
    [true, 'Other CA Cert', /unknown ca/i],
    [false, 'Expired Cert', /certificate expired/i],
    [true, 'Expired Cert', /certificate expired/i],
  ] as const) {
    it(`maps an OpenSSL server's alert for ${badLabel} to certificate-rejected (TLS ${tls13 ? '1.3' : '1.2'})`, async () => {
      const openssl = await startOpensslServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, tls13 });
      try {
        const client = new NodeTransport(backend, { maxTlsVersion: tls13 ? 'TLSv1.3' : 'TLSv1.2' });
        // Sanity: the right certificate gets through this server (it echoes lines reversed).
        const good = await client.connect(tlsOptions(openssl.port));
        expect(await echoOnce(good, 'abc\n')).toBe('cba\n');
        good.close();
        // Under TLS 1.3 the client finishes its handshake before the server judges its certificate,
        // so the alert arrives after connect() resolved, through onClose.
        const outcome = await client.connect(tlsOptions(openssl.port, { certificateLabel: badLabel, privateKeyLabel: badLabel })).then(
          (connection) => {
            expect(tls13).toBe(true);
            return new Promise<TransportError | undefined>((resolve) => {
              connection.onClose = resolve;
              connection.write(new TextEncoder().encode('x\n'));
            });
          },
          (error: unknown) => error as TransportError,
        );
        expect(outcome).toBeInstanceOf(TransportError);
        expect(outcome?.code, outcome?.message).toBe('certificate-rejected');
        expect(outcome?.message).toMatch(alert);
      } finally {
        await openssl.close();
      }
    });
  }

  it('refuses a server whose certificate has the wrong name with certificate-name-mismatch', async () => {
    const wrong = await startTlsEchoServer({ cert: pki.wrongNameServer.certPem, key: pki.wrongNameServer.keyPem, ca: pki.ca.certPem });
    try {
      await expectTransportError(transport.connect(tlsOptions(wrong.port)), 'certificate-name-mismatch');
    } finally {
      await wrong.close();
    }
  });

  it('refuses a server whose certificate has expired with certificate-expired', async () => {
    const expired = await issueCertificate(pki.ca, {
      commonName: 'localhost',
      usage: 'server',
      dnsNames: ['localhost'],
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const stale = await startTlsEchoServer({ cert: expired.certPem, key: expired.keyPem, ca: pki.ca.certPem });
    try {
      await expectTransportError(transport.connect(tlsOptions(stale.port)), 'certificate-expired');
    } finally {
      await stale.close();
    }
  });

  it('refuses a server signed by a CA it does not trust with certificate-untrusted', async () => {
    await backend.put({ class: 'certificate', label: 'Other Root', id: ID }, pki.otherCa.certDer);
    await expectTransportError(transport.connect(tlsOptions(server.port, { caLabel: 'Other Root' })), 'certificate-untrusted');
  });

  it('accepts the CA as PEM bytes instead of a label', async () => {
    const connection = await transport.connect(tlsOptions(server.port, { caLabel: undefined, ca: new TextEncoder().encode(pki.ca.certPem) }));
    expect(await echoOnce(connection, 'pem ca')).toBe('pem ca');
    connection.close();
  });

  it('reports a server that hangs up before the handshake as closed, not as a rejected certificate', async () => {
    const rude = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    try {
      await expectTransportError(transport.connect(tlsOptions((rude.address() as AddressInfo).port)), 'closed');
    } finally {
      rude.close();
    }
  });

  it('maps a refused TCP connection to refused', async () => {
    const probe = createTcpServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await expectTransportError(transport.connect({ host: '127.0.0.1', port }), 'refused');
  });

  it('times out when the server never answers the handshake', async () => {
    const silent = await startTlsEchoServer({ cert: '', key: '', ca: '', silent: true });
    try {
      const started = performance.now();
      await expectTransportError(transport.connect({ ...tlsOptions(silent.port), connectTimeoutMs: 300 }), 'timeout');
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await silent.close();
    }
  });

  it('connects plain TCP and writes one socket write per call', async () => {
    const chunks: Buffer[] = [];
    const tcp = createTcpServer((socket) => socket.on('data', (c) => chunks.push(c)));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    try {
      const connection = await transport.connect({ host: '127.0.0.1', port: (tcp.address() as AddressInfo).port });
      connection.write(new Uint8Array([1, 2, 3]));
      await new Promise((r) => setTimeout(r, 50));
      connection.write(new Uint8Array([4, 5]));
      await new Promise((r) => setTimeout(r, 50));
      expect(chunks.map((c) => [...c])).toEqual([[1, 2, 3], [4, 5]]);
      const closed = new Promise((resolve) => (connection.onClose = resolve));
      connection.close();
      await closed;
    } finally {
      tcp.close();
    }
  });

  it('connects with keys held by the portable software backend (as on a device without a native store)', async () => {
    const { KeyStore, SoftwareKeyStoreBackend } = await import('../../modules/keystore/index.js');
    const { NodeFileStorage, NodeRandom, NodeTextCodec } = await import('../../platform/node/index.js');
    const software = new SoftwareKeyStoreBackend({ storage: new NodeFileStorage(join(dir, 'software')), random: new NodeRandom(), text: new NodeTextCodec() });
    const store = new KeyStore(software);
    await store.putCertificate('Root Cert', pki.ca.certPem);
    for (const credential of [pki.clientRsa, pki.clientP256]) {
      await store.putCertificate('Device Cert', credential.certPem);
      await store.putPrivateKey('Device Key', credential.keyPem);
      const connection = await new NodeTransport(software).connect(tlsOptions(server.port, { privateKeyLabel: 'Device Key' }));
      expect(await echoOnce(connection, credential.keyType)).toBe(credential.keyType);
      connection.close();
    }
  });

  it('fails with a key store error when the client certificate label is missing', async () => {
    await expect(transport.connect(tlsOptions(server.port, { certificateLabel: 'No Such Cert' }))).rejects.toThrow(/no certificate labelled "No Such Cert"/);
  });
});
