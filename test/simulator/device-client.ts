import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { decode, Encoder } from 'cbor-x';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

/** Device credentials for the test client (MQTT.js stands in for a device; the SDK's agent is not used here). */
export interface Credentials { ca: string; cert: string; key: string }

/** Connects; rejects with the broker's refusal (CONNACK error, TLS alert, or the socket closing first). */
export function connectDevice(url: string, credentials: Credentials, clientId: string,
  extra: Partial<IClientOptions> = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      ca: credentials.ca, cert: credentials.cert, key: credentials.key, clientId, clean: true,
      protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, rejectUnauthorized: true, ...extra,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => { client.end(true); reject(error); });
    client.once('close', () => { if (!client.connected) reject(new Error('connection closed before CONNACK')); });
  });
}

export type Format = 'json' | 'cbor';
export const encode = (format: Format, value: unknown): Buffer =>
  format === 'json' ? Buffer.from(JSON.stringify(value)) : Buffer.from(cbor.encode(value));
export const decodeAs = (format: Format, payload: Buffer): any =>
  format === 'json' ? JSON.parse(payload.toString('utf8')) : decode(payload);

/** Subscribes to `<topic>/accepted` and `<topic>/rejected`, waits for SUBACK, publishes, returns the answer. */
export async function request(client: MqttClient, topic: string, payload: Buffer | string, format: Format = 'json',
  timeoutMs = 10_000): Promise<{ outcome: 'accepted' | 'rejected'; body: any }> {
  const granted = await client.subscribeAsync([`${topic}/accepted`, `${topic}/rejected`], { qos: 1 });
  if (granted.some((g) => g.qos === 128)) throw new Error(`subscription to ${topic}/… refused`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { client.off('message', onMessage); reject(new Error(`no answer on ${topic}`)); },
      timeoutMs);
    const onMessage = (t: string, p: Buffer) => {
      if (t !== `${topic}/accepted` && t !== `${topic}/rejected`) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ outcome: t.endsWith('/accepted') ? 'accepted' : 'rejected', body: decodeAs(format, p) });
    };
    client.on('message', onMessage);
    client.publish(topic, payload, { qos: 1 });
  });
}

/** Resolves with the next message on `topic` (exact), or rejects after timeoutMs. */
export function nextMessage(client: MqttClient, topic: string, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { client.off('message', onMessage); reject(new Error(`no message on ${topic}`)); },
      timeoutMs);
    const onMessage = (t: string, p: Buffer) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(p);
    };
    client.on('message', onMessage);
  });
}

/** SUBSCRIBE and return the granted QoS per filter (128 = refused), even when MQTT.js reports a refusal as an error. */
export function subscribeGranted(client: MqttClient, filters: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, { qos: 1 }, (error, granted) => {
      const fromError = (error as { packet?: { granted?: number[] } } | null | undefined)?.packet?.granted;
      if (fromError) resolve(fromError.map((g) => (typeof g === 'number' ? g : (g as { qos: number }).qos)));
      else if (error) reject(error);
      else resolve((granted ?? []).map((g) => g.qos));
    });
  });
}
