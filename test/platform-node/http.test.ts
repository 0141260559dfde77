import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeHttpClient, NodeKeyStoreBackend } from '../../platform/node/index.js';
import { TransportError, type HttpResponse } from '../../platform/pal/index.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';

const IMAGE = new Uint8Array(300_000).map((_, i) => (i * 31 + 7) & 0xff);
let pki: TestPki;
let dir: string;
let client: NodeHttpClient;
let http: Server;
let https: Server;
let httpPort: number;
let httpsPort: number;
const rangesSeen: (string | undefined)[] = [];

/** Serves IMAGE with Range support, in small chunks with pauses so the body really streams. */
function handler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
  rangesSeen.push(req.headers.range);
  if (req.url === '/drop') {
    res.writeHead(200, { 'content-length': String(IMAGE.length) });
    res.write(IMAGE.subarray(0, 1000));
    setTimeout(() => res.socket?.destroy(), 20);
    return;
  }
  if (req.url === '/stall') {
    res.writeHead(200, { 'content-length': '10' });
    res.write(Uint8Array.of(1));
    return;
  }
  if (req.url !== '/firmware.bin') {
    res.writeHead(404).end();
    return;
  }
  let start = 0;
  let end = IMAGE.length - 1;
  const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (match) {
    start = Number(match[1]);
    end = match[2] ? Math.min(Number(match[2]), end) : end;
    res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${IMAGE.length}`, 'content-length': String(end - start + 1) });
  } else {
    res.writeHead(200, { 'content-length': String(IMAGE.length) });
  }
  const body = IMAGE.subarray(start, end + 1);
  let offset = 0;
  const pump = () => {
    if (offset >= body.length) return void res.end();
    res.write(body.subarray(offset, offset + 16_384));
    offset += 16_384;
    setImmediate(pump);
  };
  pump();
}

async function collect(response: HttpResponse, maxBytes = 64 * 1024): Promise<{ bytes: Uint8Array; chunks: number }> {
  const parts: Uint8Array[] = [];
  for (let chunk = await response.read(maxBytes); chunk; chunk = await response.read(maxBytes)) {
    expect(chunk.length).toBeGreaterThan(0);
    expect(chunk.length).toBeLessThanOrEqual(maxBytes);
    parts.push(chunk);
  }
  return { bytes: new Uint8Array(Buffer.concat(parts)), chunks: parts.length };
}

beforeAll(async () => {
  pki = await createTestPki();
  dir = mkdtempSync(join(tmpdir(), 'mi-http-'));
  const backend = new NodeKeyStoreBackend(dir);
  await backend.put({ class: 'certificate', label: 'Root Cert', id: new Uint8Array(32) }, pki.ca.certDer);
  client = new NodeHttpClient(backend);
  http = createHttpServer(handler);
  https = createHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem }, handler);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  httpPort = (http.address() as AddressInfo).port;
  httpsPort = (https.address() as AddressInfo).port;
});

afterAll(async () => {
  http.closeAllConnections();
  https.closeAllConnections();
  await new Promise((r) => http.close(r));
  await new Promise((r) => https.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('NodeHttpClient', () => {
  it('streams a whole body in several chunks', async () => {
    const response = await client.get(`http://127.0.0.1:${httpPort}/firmware.bin`);
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe(String(IMAGE.length));
    const { bytes, chunks } = await collect(response);
    expect(Buffer.from(bytes).equals(Buffer.from(IMAGE))).toBe(true);
    expect(chunks).toBeGreaterThan(3);
  });

  it('hands out no more than asked for, in order, however the bytes arrived', async () => {
    const response = await client.get(`http://127.0.0.1:${httpPort}/firmware.bin`);
    const { bytes, chunks } = await collect(response, 1000);
    expect(Buffer.from(bytes).equals(Buffer.from(IMAGE))).toBe(true);
    expect(chunks).toBeGreaterThanOrEqual(Math.ceil(IMAGE.length / 1000));
  });

  it('rejects a read size that is not a positive integer', async () => {
    const response = await client.get(`http://127.0.0.1:${httpPort}/firmware.bin`, { range: { start: 0, end: 9 } });
    await expect(response.read(0)).rejects.toThrow('expected maxBytes to be a positive integer, got 0');
    await expect(response.read(1.5)).rejects.toThrow('got 1.5');
    response.cancel();
  });

  it('asks for a byte range and gets exactly those bytes (resume after a drop)', async () => {
    const response = await client.get(`http://127.0.0.1:${httpPort}/firmware.bin`, { range: { start: 100_000, end: 149_999 } });
    expect(response.status).toBe(206);
    expect(rangesSeen.at(-1)).toBe('bytes=100000-149999');
    expect((await collect(response)).bytes).toEqual(IMAGE.subarray(100_000, 150_000));
    const open = await client.get(`http://127.0.0.1:${httpPort}/firmware.bin`, { range: { start: 299_990 } });
    expect(rangesSeen.at(-1)).toBe('bytes=299990-');
    expect((await collect(open)).bytes).toEqual(IMAGE.subarray(299_990));
  });

  it('downloads over HTTPS, trusting the CA from the key store by label', async () => {
    const response = await client.get(`https://localhost:${httpsPort}/firmware.bin`, { range: { start: 0, end: 9 }, tls: { caLabel: 'Root Cert' } });
    expect((await collect(response)).bytes).toEqual(IMAGE.subarray(0, 10));
  });

  it('refuses an HTTPS server it cannot verify with a typed error', async () => {
    const error = await client.get(`https://localhost:${httpsPort}/firmware.bin`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('certificate-untrusted');
  });

  it('ends the body with a closed error when the connection drops mid-body', async () => {
    const response = await client.get(`http://127.0.0.1:${httpPort}/drop`);
    const error = await collect(response).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('closed');
  });

  it('times out a stalled body', async () => {
    const response = await client.get(`http://127.0.0.1:${httpPort}/stall`, { timeoutMs: 200 });
    const error = await collect(response).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('timeout');
  });

  it('stops on cancel without an error', async () => {
    const response = await client.get(`http://127.0.0.1:${httpPort}/firmware.bin`);
    const first = await response.read(1000);
    expect(first?.length).toBeGreaterThan(0);
    response.cancel();
    expect(await response.read(1000)).toBeUndefined();
  });

  it('maps a refused connection to refused', async () => {
    const probe = createHttpServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const error = await client.get(`http://127.0.0.1:${port}/x`).catch((e: unknown) => e);
    expect((error as TransportError).code).toBe('refused');
  });
});
