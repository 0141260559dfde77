// mqtt-packet 9 with its XS shims (buffer polyfill, bl/BufferList.js, no-op debug, process), loaded in XS through the Moddable bundle config (the same shims and aliases as
// `npm run build:moddable`). Each dependency has a file of its own so that the table's load compute is
// that dependency's module initialisation alone.
import { scenario } from '../harness.js';
import mqttPacket from 'mqtt-packet';
import { Buffer } from 'buffer';

interface MqttPacketApi {
  generate(packet: object, options?: { protocolVersion: number }): Uint8Array;
  parser(options: { protocolVersion: number }): {
    parse(bytes: Uint8Array): number;
    on(event: 'packet', listener: (packet: Record<string, unknown>) => void): void;
    on(event: 'error', listener: (error: Error) => void): void;
  };
  writeToStream: { cacheNumbers: boolean };
}

scenario('mqtt-packet 9: generate + parse round trip with cacheNumbers = false', async (t) => {
  const mqtt = mqttPacket as unknown as MqttPacketApi;
  mqtt.writeToStream.cacheNumbers = false;
  // mqtt-packet copies payloads with Buffer#copy: it takes its own Buffer class (the polyfill here).
  const payload = Buffer.from(new TextEncoder().encode('{"state":{"reported":{"on":true}}}'));
  const publish = { cmd: 'publish', topic: 'mi/things/abc/report', payload, qos: 1, messageId: 4242, retain: false, dup: false };

  const bytes = await t.measure('first generate (v4 PUBLISH QoS 1)', () => mqtt.generate(publish));
  t.equal(bytes[0], 0x32, 'PUBLISH QoS 1 header byte');
  t.equal(bytes.length, 2 + 2 + publish.topic.length + 2 + payload.length, 'encoded length');

  const parsed: Record<string, unknown>[] = [];
  const errors: Error[] = [];
  const parser = mqtt.parser({ protocolVersion: 4 });
  parser.on('packet', (packet) => parsed.push(packet));
  parser.on('error', (error) => errors.push(error));
  await t.measure('parse it back', () => parser.parse(bytes));
  t.equal(errors.length, 0, 'no parser errors');
  t.equal(parsed.length, 1, 'one packet parsed');
  t.equal(parsed[0]!.topic, publish.topic, 'topic');
  t.equal(parsed[0]!.messageId, 4242, 'message id');
  t.equal(new Uint8Array(parsed[0]!.payload as Uint8Array), new Uint8Array(payload), 'payload bytes');

  const v5 = await t.measure('100 × generate+parse v5 PUBLISH with properties', () => {
    const parser5 = mqtt.parser({ protocolVersion: 5 });
    let count = 0;
    parser5.on('packet', () => (count += 1));
    for (let i = 1; i <= 100; i++) {
      const packet = { ...publish, messageId: i, properties: { contentType: 'application/json', userProperties: { seq: String(i) } } };
      parser5.parse(mqtt.generate(packet, { protocolVersion: 5 }));
    }
    return count;
  });
  t.equal(v5, 100, 'all v5 packets parsed');

  const connect = mqtt.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'thing-1', clean: true, keepalive: 60 });
  t.equal(connect[0], 0x10, 'CONNECT header byte');
  t.figure('PUBLISH bytes', bytes.length, 'B');
});
