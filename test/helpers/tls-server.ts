/**
 * A local TLS echo server for transport tests: listens on 127.0.0.1, a free port, requires and
 * verifies client certificates against `ca` (by default), and echoes every byte back.
 *
 *   const server = await startTlsEchoServer({ cert, key, ca });
 *   server.port; server.handshakeErrors; server.alpnProtocols; await server.close();
 */
import { createServer, type Server, type TLSSocket, type SecureVersion } from 'node:tls';
import type { AddressInfo } from 'node:net';

export interface TlsEchoServerOptions {
  cert: string;
  key: string;
  /** CA(s) for client certificates. */
  ca: string;
  /** Require a client certificate signed by `ca` (default true). */
  requireClientCert?: boolean;
  /** ALPN protocols the server accepts. */
  alpn?: string[];
  maxVersion?: SecureVersion;
  /** Accept TCP but never answer the handshake (for connect-timeout tests). */
  silent?: boolean;
}

export interface TlsEchoServer {
  port: number;
  /** Errors of failed handshakes, as the server saw them (e.g. a client certificate it rejected). */
  handshakeErrors: Error[];
  /** ALPN protocol agreed on each accepted connection (false when none). */
  alpnProtocols: (string | false)[];
  /** Subject CN of each accepted client certificate. */
  clientSubjects: string[];
  /** SNI server name sent by each accepted client (false when none). */
  serverNames: (string | false)[];
  close(): Promise<void>;
}

export async function startTlsEchoServer(options: TlsEchoServerOptions): Promise<TlsEchoServer> {
  const requireClientCert = options.requireClientCert ?? true;
  const handshakeErrors: Error[] = [];
  const alpnProtocols: (string | false)[] = [];
  const clientSubjects: string[] = [];
  const serverNames: (string | false)[] = [];
  const sockets = new Set<import('node:net').Socket>();
  let server: Server;
  if (options.silent) {
    const net = await import('node:net');
    const tcp = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    });
    server = tcp as unknown as Server;
  } else {
    server = createServer(
      {
        cert: options.cert,
        key: options.key,
        ca: options.ca,
        requestCert: requireClientCert,
        rejectUnauthorized: requireClientCert,
        ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
        ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
      },
      (socket: TLSSocket) => {
        sockets.add(socket);
        alpnProtocols.push(socket.alpnProtocol ?? false);
        serverNames.push((socket as TLSSocket & { servername?: string | false }).servername ?? false);
        const peer = socket.getPeerCertificate();
        if (peer && peer.subject) clientSubjects.push(String(peer.subject.CN));
        socket.on('data', (chunk) => socket.write(chunk));
        socket.on('error', () => {});
        socket.on('close', () => sockets.delete(socket));
      },
    );
    server.on('tlsClientError', (error) => handshakeErrors.push(error));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    handshakeErrors,
    alpnProtocols,
    clientSubjects,
    serverNames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * An OpenSSL `s_server` requiring a client certificate, for the behaviour of OpenSSL-based servers
 * (mosquitto, AWS IoT): they refuse a bad client certificate with a TLS alert, where Node's own TLS
 * server just drops the connection. `-rev` echoes each line reversed.
 */
export async function startOpensslServer(options: { cert: string; key: string; ca: string; tls13?: boolean }): Promise<{ port: number; close(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const net = await import('node:net');
  const dir = mkdtempSync(join(tmpdir(), 'mi-openssl-'));
  writeFileSync(join(dir, 'cert.pem'), options.cert);
  writeFileSync(join(dir, 'key.pem'), options.key, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.pem'), options.ca);
  // s_server needs a port number; take a free one from the OS (the tiny race is harmless on loopback).
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const child = spawn(
    'openssl',
    [
      's_server', '-accept', `127.0.0.1:${port}`, '-cert', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem'),
      '-CAfile', join(dir, 'ca.pem'), '-Verify', '1', '-verify_return_error', '-rev', '-naccept', '100',
      options.tls13 ? '-tls1_3' : '-tls1_2',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (output.includes('ACCEPT')) return resolve();
      if (child.exitCode !== null || Date.now() - started > 5000) return reject(new Error(`openssl s_server did not start: ${output}`));
      setTimeout(poll, 20);
    };
    poll();
  });
  return {
    port,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
