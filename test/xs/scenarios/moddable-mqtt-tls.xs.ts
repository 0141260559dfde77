// The SDK's MQTT agent (modules/mqtt) over the Moddable platform's TLS transport, inside XS: DNS,
// TLS with key-store credentials and ALPN (lane fakes), a small mqtt-packet broker on the lane
// network. Connect, subscribe, 100 QoS 1 publishes echoed back, keep-alive on the virtual clock.
import { scenario } from '../harness.js';
import { createModdablePlatform } from '../../../platform/moddable/index.js';
import { createMqttAgent } from '../../../modules/mqtt/index.js';
import type { InboundMessage } from '../../../modules/mqtt/index.js';
import { KeyStore } from '../../../modules/keystore/keystore.js';
import { Labels } from '../../../modules/keystore/types.js';
import { resetDevice } from '../fakes/esp-bootloader.js';
import { preferenceFake } from '../fakes/preference.js';
import { power } from '../fakes/power-loss.js';
import { networkFake } from '../fakes/network.js';
import { MiniBroker } from '../fakes/mini-broker.js';
import { laneClaimCertDer, laneClaimKeyPkcs8, laneRootCaDer } from '../fixtures/credentials.js';

scenario('MQTT agent over Moddable TLS transport: connect, subscribe, 100 QoS 1 round trips, keep-alive', async (t) => {
  resetDevice();
  preferenceFake.erase();
  power.reboot();
  networkFake.reset();
  const platform = createModdablePlatform({ dnsServers: ['10.0.0.53'] });
  const keyStore = new KeyStore(platform.keyStoreBackend);
  await keyStore.putCertificate(Labels.rootCert, laneRootCaDer);
  await keyStore.putCertificate(Labels.deviceCert, laneClaimCertDer);
  await keyStore.putPrivateKey(Labels.deviceKey, laneClaimKeyPkcs8);

  const broker = new MiniBroker();
  networkFake.dns.set('mqtt.lane.test', '10.0.0.20');
  networkFake.servers.set('10.0.0.20:443', { accept: (peer) => broker.accept(peer), tls: { caDer: laneRootCaDer, requireClientCertificate: true, alpn: ['x-amzn-mqtt-ca'] } });

  const agent = createMqttAgent(platform);
  const tls = { caLabel: Labels.rootCert, certificateLabel: Labels.deviceCert, privateKeyLabel: Labels.deviceKey, alpn: ['x-amzn-mqtt-ca'] };
  const connected = await t.measure('connect (DNS + TLS + CONNECT/CONNACK)', () => agent.connect({ host: 'mqtt.lane.test', port: 443, clientId: 'lane-thing-1', tls, keepAliveSeconds: 30 }));
  t.equal(connected.sessionPresent, false, 'clean session');
  t.equal(broker.received[0]?.clientId, 'lane-thing-1', 'the broker saw our CONNECT');

  const inbound: InboundMessage[] = [];
  await agent.subscribe('lane/+/echo', (message) => {
    inbound.push(message);
  }, { qos: 1 });
  const sent = await t.measure('100 QoS 1 publishes, each echoed back', async () => {
    const payload = platform.text.encode('{"on":true}');
    for (let i = 0; i < 100; i++) await agent.publish(`lane/${i}/echo`, payload, { qos: 1 });
    await t.sleep(50);
    return inbound.length;
  });
  t.equal(sent, 100, 'all echoes arrived');
  t.equal(platform.text.decode(inbound[99]!.payload), '{"on":true}', 'payload intact');
  t.equal(inbound[42]!.topic, 'lane/42/echo', 'topic intact');

  const pingsBefore = broker.received.filter((p) => p.cmd === 'pingreq').length;
  await t.sleep(95_000);
  const pings = broker.received.filter((p) => p.cmd === 'pingreq').length - pingsBefore;
  t.assert(pings >= 2, `keep-alive pings over 95 s of virtual time (got ${pings})`);
  t.equal(agent.connected, true, 'still connected after idle time');
  await agent.disconnect();
  await t.sleep(10); // the broker reads it after the lane's network latency
  t.equal(broker.received.at(-1)?.cmd, 'disconnect', 'DISCONNECT sent');
});
