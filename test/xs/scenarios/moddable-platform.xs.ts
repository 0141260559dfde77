// platform/moddable (createModdablePlatform and its pieces) running in XS over the lane's fakes of
// the Moddable modules: timers on the virtual clock, SNTP, the hardware random FFI, text modules,
// trace, Wi-Fi connection codes, DNS + TCP/TLS sockets with key-store credentials, the HTTP client
// with Range and a dropped connection.
import { scenario } from '../harness.js';
import { sha256 } from '@noble/hashes/sha2';
import { createModdablePlatform } from '../../../platform/moddable/index.js';
import { TraceLogger } from '../../../platform/moddable/logger.js';
import type { Connection, TlsCredentials } from '../../../platform/pal/index.js';
import { TransportError } from '../../../platform/pal/index.js';
import { resetDevice } from '../fakes/esp-bootloader.js';
import { preferenceFake } from '../fakes/preference.js';
import { power } from '../fakes/power-loss.js';
import { networkFake } from '../fakes/network.js';
import type { Peer } from '../fakes/network.js';
import { tlsFake } from '../fakes/embedded-io-socket-tcp-tls.js';
import { tcpFake } from '../fakes/embedded-io-socket-tcp.js';
import { wifiFake } from '../fakes/embedded-network-interface-wifi.js';
import { httpFake } from '../fakes/embedded-network-http-client.js';
import { timeFake } from '../fakes/time.js';
import { sntpFake } from '../fakes/sntp.js';

function freshDevice() {
  resetDevice();
  preferenceFake.erase();
  power.reboot();
  networkFake.reset();
  wifiFake.reset();
  return createModdablePlatform({ dnsServers: ['10.0.0.53'], logLevel: 'debug' });
}

function echoServer(): { accept(peer: Peer): void; peers: Peer[] } {
  const peers: Peer[] = [];
  return {
    peers,
    accept(peer) {
      peers.push(peer);
      peer.onData = (bytes) => peer.send(bytes);
    },
  };
}

function collect(connection: Connection): { bytes: number[]; closed: (TransportError | undefined)[] } {
  const state = { bytes: [] as number[], closed: [] as (TransportError | undefined)[] };
  connection.onData = (data) => state.bytes.push(...data);
  connection.onClose = (error) => state.closed.push(error);
  return state;
}

scenario('timers, clock + SNTP, random, text and trace logger', async (t) => {
  const platform = freshDevice();
  const order: string[] = [];
  platform.timers.set(() => order.push('once'), 100);
  let ticks = 0;
  const repeat = platform.timers.repeat(() => {
    ticks += 1;
    if (ticks === 4) platform.timers.clear(repeat);
  }, 30);
  const t0 = platform.clock.monotonic();
  await t.sleep(200);
  t.equal(order, ['once'], 'one-shot timer fired once');
  t.equal(ticks, 4, 'repeat stopped by clear');
  t.equal(platform.clock.monotonic() - t0, 200, 'monotonic clock follows Time.ticks');

  sntpFake.seconds = 1_767_225_600;
  const synced = await platform.clock.synchronize('pool.ntp.org');
  t.equal(synced, true, 'SNTP answered');
  t.equal(timeFake.setSeconds, 1_767_225_600, 'Time.set got the SNTP seconds');
  t.equal(platform.clock.synchronized, true, 'synchronized after set');
  sntpFake.seconds = undefined;
  t.equal(await platform.clock.synchronize('bad.example'), false, 'SNTP failure resolves false');
  t.equal(sntpFake.open, 0, 'no SNTP socket left open');

  const a = platform.random.bytes(32);
  const b = platform.random.bytes(32);
  t.equal(a.length, 32, 'random length');
  t.assert(a.some((x, i) => x !== b[i]), 'two draws differ');
  t.equal(platform.text.decode(platform.text.encode('센서 ✓')), '센서 ✓', 'UTF-8 round trip through text/encoder + text/decoder');
  await t.throws(() => platform.text.decode(new Uint8Array([0xc3]), true), '', 'fatal decode throws on a truncated sequence');

  const lane = globalThis as unknown as { trace: (text: string) => void };
  const laneTrace = lane.trace;
  const lines: string[] = [];
  lane.trace = (line) => lines.push(line);
  try {
    const logger = new TraceLogger({ level: 'info', now: () => 42 });
    logger.log('info', 'lane', 'hello', { n: 1, big: 5n });
    logger.log('debug', 'lane', 'filtered');
    logger.level = 'error';
    logger.log('warn', 'lane', 'filtered too');
  } finally {
    lane.trace = laneTrace;
  }
  t.equal(lines, ['42 INFO lane: hello {"n":1,"big":"5"}\n'], 'one trace line per entry above the level');
});

scenario('Wi-Fi: connection codes 300/400/500, wrong password, scan, link drop', async (t) => {
  const platform = freshDevice();
  wifiFake.accessPoints = [
    { SSID: 'home', password: 'secret', RSSI: -50, channel: 6, security: 'wpa2_psk' },
    { SSID: 'cafe', RSSI: -70, channel: 1, security: 'none' },
    { SSID: 'home', password: 'secret', RSSI: -40, channel: 11, security: 'wpa2_psk' },
  ];
  const seen: string[] = [];
  const unsubscribe = platform.wifi.onChanged((status) => seen.push(status));
  await t.throws(() => platform.wifi.connect({ ssid: 'home', password: 'wrong' }), "connection to 'home' failed", 'a wrong password fails');
  await platform.wifi.connect({ ssid: 'home', password: 'secret' });
  t.equal(platform.wifi.status, 'got-ip', 'status after connect');
  t.equal(seen, ['connecting', 'disconnected', 'connecting', 'connected', 'got-ip'], 'status sequence');
  const aps = await platform.wifi.scan();
  t.equal(aps.map((ap) => `${ap.ssid}/${ap.rssi}/${ap.secure}`), ['home/-40/true', 'cafe/-70/false'], 'scan: strongest per SSID, sorted');
  wifiFake.dropLink();
  t.equal(platform.wifi.status, 'disconnected', 'link drop seen');
  unsubscribe();
  await platform.wifi.connect({ ssid: 'home', password: 'secret' });
  await platform.wifi.disconnect();
  t.equal(platform.wifi.status, 'disconnected', 'disconnect');
});

scenario('transport: DNS + TCP echo, windowed writes, peer close, refused, timeout', async (t) => {
  const platform = freshDevice();
  const server = echoServer();
  networkFake.dns.set('broker.lane.test', '10.0.0.7');
  networkFake.servers.set('10.0.0.7:1883', server);
  const connection = await t.measure('resolve + connect TCP', () => platform.transport.connect({ host: 'broker.lane.test', port: 1883 }));
  t.equal(tcpFake.lastOptions?.address, '10.0.0.7', 'the socket got the resolved dotted address');
  const state = collect(connection);
  const big = new Uint8Array(5_000).map((_, i) => i & 0xff);
  connection.write(new Uint8Array([1, 2, 3]));
  connection.write(big);
  await t.sleep(100);
  t.equal(state.bytes.length, 5_003, 'all bytes echoed');
  t.equal(state.bytes.slice(0, 3), [1, 2, 3], 'order kept');
  t.assert(tcpFake.written.every((n) => n <= 2048), 'no socket write exceeded the writable window');
  server.peers[0]!.close();
  await t.sleep(10);
  t.equal(state.closed.length, 1, 'onClose once');
  t.equal(state.closed[0]?.code, 'closed', 'peer close is code closed');
  await t.throws(async () => connection.write(new Uint8Array([1])), 'closed', 'write after close throws');

  await t.throws(() => platform.transport.connect({ host: 'nowhere.lane.test', port: 1883 }), 'DNS: cannot resolve', 'unknown name');
  try {
    await platform.transport.connect({ host: '10.0.0.8', port: 1883 });
    t.assert(false, 'connect to a closed port must fail');
  } catch (error) {
    t.equal((error as TransportError).code, 'refused', 'closed port: refused');
  }
  networkFake.blackholes.add('10.0.0.9');
  try {
    await platform.transport.connect({ host: '10.0.0.9', port: 1883, connectTimeoutMs: 3_000 });
    t.assert(false, 'a black hole must time out');
  } catch (error) {
    t.equal((error as TransportError).code, 'timeout', 'no answer: timeout');
  }
});

scenario('transport: mutual TLS with key-store credentials, ALPN, untrusted CA', async (t) => {
  const platform = freshDevice();
  const ca = new Uint8Array([0x30, 0x82, 0x01, 0x0a, 1, 2, 3, 4]);
  const deviceCert = new Uint8Array([0x30, 0x82, 0x02, 0x00, 9, 9, 9]);
  const keys = platform.keyStoreBackend;
  await keys.put({ class: 'certificate', label: 'Root Cert', id: new Uint8Array(32) }, ca);
  const pair = await t.measure('generate P-256 device key in the key store', () => keys.generateKeyPair('Device Key', 'EC-P256'));
  await keys.put({ class: 'certificate', label: 'Device Cert', id: pair.id }, deviceCert);
  const server = echoServer();
  networkFake.dns.set('iot.lane.test', '10.0.0.10');
  networkFake.servers.set('10.0.0.10:443', { ...server, tls: { caDer: ca, requireClientCertificate: true, alpn: ['x-amzn-mqtt-ca'] } });

  const tls = { caLabel: 'Root Cert', certificateLabel: 'Device Cert', privateKeyLabel: 'Device Key', alpn: ['x-amzn-mqtt-ca'] };
  const connection = await t.measure('TLS connect (fake handshake)', () => platform.transport.connect({ host: 'iot.lane.test', port: 443, tls }));
  const secure = tlsFake.last!.secure;
  t.equal(tlsFake.last!.host, 'iot.lane.test', 'SNI is the host name');
  t.equal(new Uint8Array(secure.certificate as ArrayBuffer), ca, 'CA DER from the key store');
  t.equal(new Uint8Array(secure.clientCertificates![0]!), deviceCert, 'client certificate DER');
  t.equal(new Uint8Array(secure.clientKey!)[0], 0x30, 'client key is PKCS#8 DER');
  t.equal(secure.applicationLayerProtocolNegotiation, 'x-amzn-mqtt-ca', 'ALPN');
  const state = collect(connection);
  connection.write(new Uint8Array([0x10, 0x00]));
  await t.sleep(20);
  t.equal(state.bytes, [0x10, 0x00], 'bytes through TLS');
  connection.close();
  t.equal(state.closed, [undefined], 'local close: onClose(undefined)');

  const refusals: [string, TlsCredentials, string][] = [
    ['untrusted server CA', { ...tls, caLabel: undefined, ca: new Uint8Array([0x30, 0, 0]) }, 'server certificate not trusted'],
    ['no ALPN overlap', { ...tls, alpn: ['mqtt'] }, 'no common ALPN protocol'],
  ];
  for (const [what, options, refusal] of refusals) {
    try {
      await platform.transport.connect({ host: 'iot.lane.test', port: 443, tls: options });
      t.assert(false, `${what} must fail`);
    } catch (error) {
      t.equal((error as TransportError).code, 'io', `${what}: code io (Moddable TLS does not say why)`);
      t.equal(tlsFake.refusals.at(-1), refusal, `${what}: the server refused for the expected reason`);
    }
  }
  await t.throws(() => platform.transport.connect({ host: 'iot.lane.test', port: 443, tls: { caLabel: 'Nope' } }), "no certificate labelled 'Nope'", 'missing CA label');
  tlsFake.expiredCa = true;
  try {
    await platform.transport.connect({ host: 'iot.lane.test', port: 443, tls });
    t.assert(false, 'a CA outside its validity must fail');
  } catch (error) {
    t.equal((error as TransportError).code, 'certificate-expired', 'CA validity (or an unset clock): certificate-expired');
  } finally {
    tlsFake.expiredCa = false;
  }
  const pem = platform.text.encode('-----BEGIN CERTIFICATE-----\nMIIBCgECAwQ=\n-----END CERTIFICATE-----\n');
  await platform.transport.connect({ host: 'iot.lane.test', port: 443, tls: { ...tls, caLabel: undefined, ca: pem } }).then((c) => c.close());
  t.equal(new Uint8Array(tlsFake.last!.secure.certificate as ArrayBuffer), ca, 'a PEM CA is converted to DER');
});

scenario('HTTP client: Range GET streams a firmware image; a drop ends the body with an error', async (t) => {
  const platform = freshDevice();
  const image = new Uint8Array(10_000).map((_, i) => (i * 7) & 0xff);
  const ca = new Uint8Array([0x30, 0x03, 7, 7, 7]);
  httpFake.sites.set('fw.lane.test', { port: 443, files: new Map([['/images/v2.bin', image]]), caDer: ca });
  const response = await platform.http.get('https://fw.lane.test/images/v2.bin', { range: { start: 4_000 }, tls: { ca } });
  t.equal(response.status, 206, 'partial content');
  t.equal(response.headers['content-range'], 'bytes 4000-9999/10000', 'content-range');
  t.equal(httpFake.requests.at(-1)!.headers.range, 'bytes=4000-', 'Range header sent');
  const received: number[] = [];
  let chunks = 0;
  for (let chunk = await response.read(1_000); chunk; chunk = await response.read(1_000)) {
    chunks += 1;
    t.assert(chunk.length >= 1 && chunk.length <= 1_000, `a read returns 1 to 1,000 bytes (${chunk.length})`);
    received.push(...chunk);
  }
  t.equal(received.length, 6_000, 'body length');
  t.equal(new Uint8Array(received), image.subarray(4_000), 'body bytes');
  t.assert(chunks >= 6, `streamed in chunks (${chunks})`);

  const missing = await platform.http.get('https://fw.lane.test/nope', { tls: { ca } });
  t.equal(missing.status, 404, '404 passes through');
  await t.throws(() => platform.http.get('https://fw.lane.test/images/v2.bin', { tls: { ca: new Uint8Array([1]) } }), 'connection failed', 'untrusted CA fails the request');
  await t.throws(() => platform.http.get('ftp://fw.lane.test/x'), 'http:// or https://', 'bad URL');

  httpFake.sites.get('fw.lane.test')!.dropAfter = 2_500;
  const dropped = await platform.http.get('https://fw.lane.test/images/v2.bin', { tls: { ca } });
  let got = 0;
  await t.throws(async () => {
    for (let chunk = await dropped.read(4_096); chunk; chunk = await dropped.read(4_096)) got += chunk.length;
  }, 'connection reset', 'a dropped connection ends the body with an error');
  t.equal(got, 2_500, 'bytes before the drop were delivered');
});

scenario("digest: SHA-256 through crypt's Digest, fed whole buffers and views of part of one", async (t) => {
  const platform = freshDevice();
  t.assert(platform.digest !== undefined, 'the Moddable platform offers a digest');
  const data = new Uint8Array(200_000).map((_, i) => (i * 31 + (i >> 8)) & 0xff);
  const expected = sha256(data);
  const hash = await t.measure('SHA-256 of 200,000 bytes in 64 KiB writes', () => {
    const h = platform.digest!.sha256();
    const block = new Uint8Array(65_536);
    let at = 0;
    for (; at + block.length <= data.length; at += block.length) {
      block.set(data.subarray(at, at + block.length));
      h.update(block); // a whole buffer: passed without a copy
    }
    h.update(data.subarray(at)); // a view of part of a buffer: copied
    return h.digest();
  });
  t.equal(hash, expected, 'same digest as @noble/hashes over the whole input');
  const empty = platform.digest!.sha256();
  t.equal(empty.digest(), sha256(new Uint8Array(0)), 'empty input');
  await t.throws(async () => empty.update(new Uint8Array(1)), 'after digest()', 'no update after digest()');
});
