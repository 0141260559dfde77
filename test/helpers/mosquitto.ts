/**
 * Starts Debian's mosquitto (/usr/sbin/mosquitto, or `mosquitto` on PATH) on a free loopback port with
 * a generated config: plain TCP, or TLS with mutual authentication (`require_certificate true`) using
 * PEM credentials from test/helpers/pki.ts. Optional persistence lets a test stop (SIGTERM) and restart
 * the broker with its sessions and queued messages intact, as a real broker restart would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MosquittoTls {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Demand a client certificate signed by `caPem` (default true). */
  requireClientCertificate?: boolean;
}

export interface MosquittoOptions {
  tls?: MosquittoTls;
  /** Keep sessions and queued messages across a stop/start (saved on SIGTERM). */
  persistence?: boolean;
  /** ACL file lines (e.g. `topic readwrite things/#`); topics not granted are refused (SUBACK 0x80). */
  acl?: string[];
  /** Extra config lines. */
  extraConfig?: string[];
}

export interface MosquittoBroker {
  readonly port: number;
  readonly host: '127.0.0.1';
  readonly configPath: string;
  /** The broker's stderr/stdout so far (for failure messages). */
  output(): string;
  /** Stops the process (SIGTERM: a persistent broker saves its state) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same config and state. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}

export function mosquittoPath(): string {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']) {
    if (existsSync(candidate)) return candidate;
  }
  return 'mosquitto';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadlineMs: number, child: ChildProcess, output: () => string): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with code ${child.exitCode}:\n${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - start > deadlineMs) throw new Error(`mosquitto did not listen on ${port} within ${deadlineMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'mi-mosquitto-'));
  const port = await freePort();
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'set_tcp_nodelay true',
    // Outgoing QoS 1 window per client, like AWS IoT's 100; deep queues so a test loses nothing.
    'max_inflight_messages 100',
    'max_queued_messages 100000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
  if (process.getuid?.() === 0) lines.push('user root');
  if (options.persistence) lines.push('persistence true', `persistence_location ${dir}/`, 'autosave_interval 0');
  if (options.tls) {
    await writeFile(join(dir, 'ca.pem'), options.tls.caPem);
    await writeFile(join(dir, 'server.pem'), options.tls.certPem);
    await writeFile(join(dir, 'server.key'), options.tls.keyPem, { mode: 0o600 });
    lines.push(
      `cafile ${dir}/ca.pem`,
      `certfile ${dir}/server.pem`,
      `keyfile ${dir}/server.key`,
      'tls_version tlsv1.2',
      `require_certificate ${options.tls.requireClientCertificate === false ? 'false' : 'true'}`,
    );
  }
  if (options.acl) {
    await writeFile(join(dir, 'acl'), options.acl.join('\n') + '\n');
    lines.push(`acl_file ${dir}/acl`);
  }
  lines.push(...(options.extraConfig ?? []));
  const configPath = join(dir, 'mosquitto.conf');
  await writeFile(configPath, lines.join('\n') + '\n');

  let child: ChildProcess | undefined;
  let log = '';
  const output = () => log;
  const start = async () => {
    const proc = spawn(mosquittoPath(), ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitForPort(port, 10_000, proc, output);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  };
  await start();
  return {
    port,
    host: '127.0.0.1',
    configPath,
    output,
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
