/**
 * The mi-cloud suite, run once with the embedded aedes broker and once with mosquitto. MQTT.js plays the
 * device; everything goes over real TLS to the running cloud.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudApiError, CommandTimeoutError, startCloud, type Cloud } from '../../simulator/index.js';
import { connectDevice, encode, nextMessage, request, subscribeGranted, type Credentials } from './device-client.js';
import { foreignCredentials, provision, type ProvisionedDevice } from './provisioning-helpers.js';

const MINUTE_MS = 400; // one job "minute" in this suite
const mosquittoAvailable = existsSync('/usr/sbin/mosquitto');

/** Resolves false if no message arrives on `topic` within `ms`, true if one does. */
function receivesWithin(client: import('mqtt').MqttClient, topic: string, ms: number): Promise<boolean> {
  return nextMessage(client, topic, ms).then(() => true, () => false);
}

const capabilityReport = (endpoints = 1, capabilities = 1) => ({
  version: '1.0.0', nodeId: '1',
  endpoints: Array.from({ length: endpoints }, (_, e) => ({
    id: String(e + 1), deviceTypes: ['On/Off Light'],
    capabilities: Array.from({ length: capabilities }, (_, c) => ({
      id: c === 0 ? 'matter.OnOff@1.4' : `custom.Thing${c}@1.0`, name: 'On/Off', version: '6',
      properties: ['OnOff'], actions: ['On', 'Off', 'Toggle'], events: [],
    })),
  })),
});

describe.each(['embedded', 'mosquitto'] as const)('mi-cloud with the %s broker', (broker) => {
  let dataDir: string;
  let cloud: Cloud;
  let claim: Credentials;
  let clockOffset = 0;
  let serial = 0;
  const template = 'TestProfile';
  const upc = '012345678905';

  async function newThing(metadata?: Record<string, string>) {
    const sn = `SN-${broker}-${++serial}`;
    const created = cloud.createManagedThing({ serialNumber: sn, upc, ...(metadata ? { metadata } : {}) });
    return { sn, id: created.Id, created };
  }

  async function provisionedDevice(options: { csr?: boolean; format?: 'json' | 'cbor' } = {})
    : Promise<ProvisionedDevice & { sn: string }> {
    const { sn } = await newThing();
    // CreateCertificateFromCsr with a P-256 key by default: much cheaper than an RSA-2048 key per device;
    // the RSA path has its own tests.
    const device = await provision(cloud, claim, template, { SerialNumber: sn, UPC: upc }, { csr: true, ...options });
    return { ...device, sn };
  }

  beforeAll(async () => {
    if (broker === 'mosquitto' && !mosquittoAvailable) return;
    dataDir = mkdtempSync(join(tmpdir(), `mi-cloud-${broker}-`));
    cloud = await startCloud({ dataDir, broker, jobsMinuteMs: MINUTE_MS, now: () => Date.now() + clockOffset });
    const profile = await cloud.createProvisioningProfile({ name: template });
    claim = { ca: cloud.caPem, cert: profile.ClaimCertificate, key: profile.ClaimCertificatePrivateKey };
  });

  afterAll(async () => {
    await cloud?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(broker === 'mosquitto' && !mosquittoAvailable)('reports its addresses and the CA', () => {
    expect(cloud.mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(cloud.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cloud.caPem).toContain('BEGIN CERTIFICATE');
    expect(new X509Certificate(cloud.caPem).ca).toBe(true);
  });

  describe.skipIf(broker === 'mosquitto' && !mosquittoAvailable)('control plane', () => {
    it('CreateProvisioningProfile returns the documented fields and a claim certificate from the CA', async () => {
      const profile = await cloud.createProvisioningProfile({ name: `Other_${broker}` });
      expect(Object.keys(profile).sort()).toEqual(
        ['Arn', 'ClaimCertificate', 'ClaimCertificatePrivateKey', 'Id', 'Name', 'ProvisioningType']);
      expect(profile.Name).toBe(`Other_${broker}`);
      expect(profile.ProvisioningType).toBe('FLEET_PROVISIONING');
      expect(profile.Arn).toBe(`arn:aws:iotmanagedintegrations:us-east-1:123456789012:provisioning-profile/${profile.Id}`);
      expect(profile.ClaimCertificatePrivateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      const cert = new X509Certificate(profile.ClaimCertificate);
      expect(cert.verify(new X509Certificate(cloud.caPem).publicKey)).toBe(true);
      expect(cloud.getProvisioningProfile(profile.Name).Id).toBe(profile.Id);
      await expect(cloud.createProvisioningProfile({ name: `Other_${broker}` })).rejects.toMatchObject({ code: 'ConflictException' });
    });

    it('CreateManagedThing / Get / List / Update / Delete', async () => {
      const { sn, id, created } = await newThing({ owner: 'alice' });
      expect(Object.keys(created).sort()).toEqual(['Arn', 'CreatedAt', 'Id']);
      expect(created.Id).toMatch(/^[0-9a-f]{32}$/);
      expect(created.Arn).toBe(`arn:aws:iotmanagedintegrations:us-east-1:123456789012:managed-thing/${id}`);
      expect(Math.abs(created.CreatedAt - Date.now() / 1000)).toBeLessThan(60);
      const got = cloud.getManagedThing(id);
      expect(got).toMatchObject({ Id: id, Role: 'DEVICE', ProvisioningStatus: 'UNCLAIMED', SerialNumber: sn,
        UniversalProductCode: upc, AuthenticationMaterial: `SN:${sn};UPC:${upc};`, MetaData: { owner: 'alice' } });
      expect(cloud.listManagedThings().Items.map((t) => t.Id)).toContain(id);
      cloud.updateManagedThing(id, { metadata: { version: '1.0' } });
      expect(cloud.getManagedThing(id).MetaData).toEqual({ owner: 'alice', version: '1.0' });
      expect(() => cloud.createManagedThing({ serialNumber: sn, upc })).toThrow(/already exists/);
      await cloud.deleteManagedThing(id);
      expect(() => cloud.getManagedThing(id)).toThrow(CloudApiError);
    });

    it('serves the same operations over HTTP', async () => {
      const post = await fetch(`${cloud.httpUrl}/managed-things`, { method: 'POST', body: JSON.stringify({
        Role: 'DEVICE', AuthenticationMaterial: `SN:http-${broker};UPC:${upc};`,
        AuthenticationMaterialType: 'WIFI_SETUP_QR_BAR_CODE' }) });
      expect(post.status).toBe(201);
      const created = await post.json() as { Id: string };
      const got = await (await fetch(`${cloud.httpUrl}/managed-things/${created.Id}`)).json() as { SerialNumber: string };
      expect(got.SerialNumber).toBe(`http-${broker}`);
      const missing = await fetch(`${cloud.httpUrl}/managed-things/nope`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: 'ResourceNotFoundException' });
    });
  });

  describe.skipIf(broker === 'mosquitto' && !mosquittoAvailable)('HTTP API', () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${cloud.httpUrl}${path}`, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };

    it('provisioning profiles, things, certificates, commands, OTA tasks and jobs', async () => {
      const profile = await call('POST', '/provisioning-profiles', { Name: `Http_${broker}`, ProvisioningType: 'FLEET_PROVISIONING' });
      expect(profile.status).toBe(201);
      expect(profile.body).toMatchObject({ Name: `Http_${broker}`, ProvisioningType: 'FLEET_PROVISIONING' });
      expect((await call('GET', `/provisioning-profiles/Http_${broker}`)).body.Id).toBe(profile.body.Id);
      expect((await call('POST', '/provisioning-profiles', { Name: 'bad name!' })).body.code).toBe('ValidationException');

      const device = await provisionedDevice();
      const patched = await call('PATCH', `/managed-things/${device.thingName}`, { MetaData: { floor: '2' } });
      expect(patched.status).toBe(204);
      expect((await call('GET', `/managed-things/${device.thingName}`)).body.MetaData).toEqual({ floor: '2' });
      const cert = await call('GET', `/certificates/${device.certificateId}`);
      expect(cert.body).toMatchObject({ certificateId: device.certificateId, status: 'ACTIVE', managedThingId: device.thingName });
      expect((await call('PUT', `/certificates/${device.certificateId}/status`, { Status: 'BOGUS' })).status).toBe(400);

      const timedOut = await call('POST', `/managed-things/${device.thingName}/commands?waitMs=200`,
        { Endpoints: [{ endpointId: '1', capabilities: [] }] });
      expect(timedOut.status).toBe(504);
      expect(timedOut.body).toMatchObject({ code: 'CommandTimeout', TraceId: expect.stringMatching(/^trace-/) });
      expect((await call('GET', `/commands/${timedOut.body.TraceId}`)).body.Status).toBe('TIMED_OUT');

      const task = await call('POST', '/ota-tasks', { OtaType: 'ONE_TIME', Target: [device.thingName], JobDocument: { ota: {} } });
      expect(task.status).toBe(201);
      const executions = await call('GET', `/ota-tasks/${task.body.TaskId}/executions`);
      expect(executions.body.taskExecutionSummaries[0]).toMatchObject({ managedThingId: device.thingName,
        taskExecutionSummary: { status: 'QUEUED', retryAttempt: 0 } });
      expect((await call('DELETE', `/ota-tasks/${task.body.TaskId}`)).status).toBe(204);
      expect((await call('GET', `/ota-tasks/${task.body.TaskId}`)).body.Status).toBe('CANCELED');
      expect((await call('GET', `/ota-tasks/${task.body.TaskId}/executions`)).body.taskExecutionSummaries[0]
        .taskExecutionSummary.status).toBe('CANCELED');

      const events = await fetch(`${cloud.httpUrl}/events?types=job-execution`);
      expect(events.headers.get('content-type')).toBe('text/event-stream');
      const reader = events.body!.getReader();
      const job = await call('POST', '/jobs', { document: { op: 'x' }, targets: [device.thingName] });
      let streamed = '';
      while (!streamed.includes('"status"')) streamed += new TextDecoder().decode((await reader.read()).value);
      expect(streamed).toContain(`event: job-execution\ndata: {"jobId":"${job.body.jobId}","thingName":"${device.thingName}","status":"QUEUED"`);
      await reader.cancel();
      expect((await call('GET', `/jobs/${job.body.jobId}`)).body.executions[0]).toMatchObject({ thingName: device.thingName,
        status: 'QUEUED' });
      expect((await call('GET', '/nope')).status).toBe(404);
      expect((await call('GET', '/custom-endpoint')).body).toEqual({ EndpointAddress: `127.0.0.1:${cloud.mqttPort}` });
      expect(await (await fetch(`${cloud.httpUrl}/ca.pem`)).text()).toBe(cloud.caPem);
    });
  });

  describe.skipIf(broker === 'mosquitto' && !mosquittoAvailable)('fleet provisioning', () => {
    it('CreateKeysAndCertificate + RegisterThing in JSON: accepted shapes, thing ACTIVATED, device connects', async () => {
      const { sn, id } = await newThing();
      const client = await connectDevice(cloud.mqttUrl, claim, 'claim-json');
      const keys = await request(client, '$aws/certificates/create/json', '');
      expect(keys.outcome).toBe('accepted');
      expect(Object.keys(keys.body).sort()).toEqual(['certificateId', 'certificateOwnershipToken', 'certificatePem', 'privateKey']);
      expect(keys.body.certificateId).toMatch(/^[0-9a-f]{64}$/);
      expect(keys.body.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      expect(cloud.describeCertificate(keys.body.certificateId).status).toBe('PENDING_ACTIVATION');
      const provisioned = cloud.waitFor('provisioned', (e) => e.managedThingId === id);
      const reg = await request(client, `$aws/provisioning-templates/${template}/provision/json`, JSON.stringify({
        certificateOwnershipToken: keys.body.certificateOwnershipToken, parameters: { SerialNumber: sn, UPC: upc } }));
      await client.endAsync();
      expect(reg).toEqual({ outcome: 'accepted', body: { deviceConfiguration: {}, thingName: id } });
      expect((await provisioned).certificateId).toBe(keys.body.certificateId);
      expect(cloud.getManagedThing(id).ProvisioningStatus).toBe('ACTIVATED');
      expect(cloud.describeCertificate(keys.body.certificateId)).toMatchObject({ status: 'ACTIVE', managedThingId: id });
      const device = await connectDevice(cloud.mqttUrl,
        { ca: cloud.caPem, cert: keys.body.certificatePem, key: keys.body.privateKey }, id);
      await device.endAsync();
    });

    it('CreateCertificateFromCsr + RegisterThing in CBOR', async () => {
      const device = await provisionedDevice({ csr: true, format: 'cbor' });
      expect(device.credentials.key).toContain('BEGIN PRIVATE KEY');
      const client = await connectDevice(cloud.mqttUrl, device.credentials, device.thingName);
      await client.endAsync();
    });

    it('provisioning a thing again makes its earlier certificate INACTIVE (one active certificate per thing)', async () => {
      const first = await provisionedDevice();
      const old = await connectDevice(cloud.mqttUrl, first.credentials, first.thingName);
      const oldClosed = new Promise<void>((resolve) => old.once('close', () => resolve()));
      const second = await provision(cloud, claim, template, { SerialNumber: first.sn, UPC: upc }, { csr: true });
      expect(second.thingName).toBe(first.thingName);
      await oldClosed;
      old.end(true);
      expect(cloud.describeCertificate(first.certificateId).status).toBe('INACTIVE');
      expect(cloud.getManagedThing(first.thingName).CertificateId).toBe(second.certificateId);
      await expect(connectDevice(cloud.mqttUrl, first.credentials, first.thingName)).rejects.toThrow();
      const fresh = await connectDevice(cloud.mqttUrl, second.credentials, second.thingName);
      await fresh.endAsync();
    });

    it('rejects a CSR whose signature does not verify', async () => {
      const client = await connectDevice(cloud.mqttUrl, claim, 'claim-bad-csr');
      const answer = await request(client, '$aws/certificates/create-from-csr/json',
        JSON.stringify({ certificateSigningRequest: 'not a csr' }));
      await client.endAsync();
      expect(answer.outcome).toBe('rejected');
      expect(answer.body).toMatchObject({ statusCode: 400, errorCode: 'InvalidCertificateSigningRequest' });
    });

    it('rejects RegisterThing with a wrong SN or a wrong UPC (provisioning hook), in JSON and CBOR', async () => {
      const { sn } = await newThing();
      const client = await connectDevice(cloud.mqttUrl, claim, 'claim-hook');
      for (const [format, parameters] of [['json', { SerialNumber: 'no-such-sn', UPC: upc }],
        ['cbor', { SerialNumber: sn, UPC: '999999999999' }]] as const) {
        const keys = await request(client, `$aws/certificates/create/${format}`, encode(format, {}), format);
        const reg = await request(client, `$aws/provisioning-templates/${template}/provision/${format}`,
          encode(format, { certificateOwnershipToken: keys.body.certificateOwnershipToken, parameters }), format);
        expect(reg.outcome).toBe('rejected');
        expect(reg.body).toMatchObject({ statusCode: 403, errorCode: 'AccessDenied' });
        expect(typeof reg.body.errorMessage).toBe('string');
        // the certificate stays pending and cannot connect
        await expect(connectDevice(cloud.mqttUrl, { ca: cloud.caPem, cert: keys.body.certificatePem,
          key: keys.body.privateKey }, 'pending')).rejects.toThrow();
      }
      await client.endAsync();
    });

    it('rejects an empty, unknown or expired ownership token; the expired one\'s certificate is refused', async () => {
      const { sn } = await newThing();
      const client = await connectDevice(cloud.mqttUrl, claim, 'claim-token');
      const topic = `$aws/provisioning-templates/${template}/provision/json`;
      const empty = await request(client, topic, JSON.stringify({ parameters: { SerialNumber: sn, UPC: upc } }));
      expect(empty.body).toEqual({ statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken',
        errorMessage: 'Certificate ownership token cannot be empty.' });
      const unknown = await request(client, topic, JSON.stringify({ certificateOwnershipToken: 'bogus',
        parameters: { SerialNumber: sn, UPC: upc } }));
      expect(unknown.body).toMatchObject({ errorCode: 'InvalidCertificateOwnershipToken' });
      const keys = await request(client, '$aws/certificates/create/json', '{}');
      clockOffset = 3600_000 + 1000; // one hour later
      try {
        const expired = await request(client, topic, JSON.stringify({
          certificateOwnershipToken: keys.body.certificateOwnershipToken, parameters: { SerialNumber: sn, UPC: upc } }));
        expect(expired.outcome).toBe('rejected');
        expect(expired.body).toEqual({ statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken',
          errorMessage: 'Certificate ownership token has expired.' });
      } finally {
        clockOffset = 0;
      }
      await client.endAsync();
      expect(cloud.describeCertificate(keys.body.certificateId).status).toBe('REVOKED');
      await expect(connectDevice(cloud.mqttUrl, { ca: cloud.caPem, cert: keys.body.certificatePem,
        key: keys.body.privateKey }, 'expired')).rejects.toThrow();
    });

    it('a claim certificate cannot use another profile\'s template; a deleted profile\'s claim certificate cannot connect', async () => {
      await cloud.createProvisioningProfile({ name: `Second_${broker}` });
      const { sn } = await newThing();
      const client = await connectDevice(cloud.mqttUrl, claim, 'claim-template');
      const keys = await request(client, '$aws/certificates/create/json', '{}');
      const body = JSON.stringify({ certificateOwnershipToken: keys.body.certificateOwnershipToken,
        parameters: { SerialNumber: sn, UPC: upc } });
      // another profile's template: the policy refuses it (aedes: SUBACK 0x80; mosquitto: no delivery)
      const granted = await subscribeGranted(client, [`$aws/provisioning-templates/Second_${broker}/provision/json/accepted`,
        `$aws/provisioning-templates/Second_${broker}/provision/json/rejected`]);
      if (broker === 'embedded') expect(granted).toEqual([128, 128]);
      client.on('error', () => {});
      const answered = cloud.waitFor('provisioning', (e) => e.topic.includes(`Second_${broker}`), 800)
        .then(() => true, () => false);
      client.publish(`$aws/provisioning-templates/Second_${broker}/provision/json`, body, { qos: 0 });
      expect(await answered).toBe(false);
      expect(cloud.getManagedThing(cloud.listManagedThings().Items.find((t) => t.SerialNumber === sn)!.Id as string)
        .ProvisioningStatus).toBe('UNCLAIMED');
      await client.endAsync(true);
      // an unknown template: rejected (the claim policy is per template, so use a profile deleted meanwhile)
      const gone = await cloud.createProvisioningProfile({ name: `Gone_${broker}` });
      const goneClaim = { ca: cloud.caPem, cert: gone.ClaimCertificate, key: gone.ClaimCertificatePrivateKey };
      const goneClient = await connectDevice(cloud.mqttUrl, goneClaim, 'claim-gone');
      const goneKeys = await request(goneClient, '$aws/certificates/create/json', '{}');
      await goneClient.endAsync();
      await cloud.deleteProvisioningProfile(`Gone_${broker}`);
      await expect(connectDevice(cloud.mqttUrl, goneClaim, 'claim-gone')).rejects.toThrow();
      expect(cloud.describeCertificate(goneKeys.body.certificateId).status).toBe('PENDING_ACTIVATION');
    });
  });

  describe.skipIf(broker === 'mosquitto' && !mosquittoAvailable)('authentication and policy', () => {
    it('refuses certificates from another CA', async () => {
      const foreign = await foreignCredentials();
      await expect(connectDevice(cloud.mqttUrl, { ca: cloud.caPem, ...foreign }, 'intruder')).rejects.toThrow();
    });

    it('a device cannot reach another device\'s topics; nothing reaches the other device or the cloud', async () => {
      const a = await provisionedDevice();
      const b = await provisionedDevice();
      const clientA = await connectDevice(cloud.mqttUrl, a.credentials, a.thingName);
      const clientB = await connectDevice(cloud.mqttUrl, b.credentials, b.thingName);
      // B listens on its own command topic (allowed)
      expect((await clientB.subscribeAsync(`south/${b.thingName}/control`, { qos: 1 }))[0]!.qos).toBe(1);
      // A may not subscribe to B's topics: aedes answers SUBACK 0x80; mosquitto grants but never delivers
      const denied = await subscribeGranted(clientA, [`south/${b.thingName}/#`,
        `$aws/things/${b.thingName}/jobs/notify-next`, 'north/#', '#']);
      if (broker === 'embedded') expect(denied).toEqual([128, 128, 128, 128]);
      const aGotCommand = receivesWithin(clientA, `south/${b.thingName}/control`, 800);
      const aGotNotify = receivesWithin(clientA, `$aws/things/${b.thingName}/jobs/notify-next`, 800);
      const bGotRealCommand = receivesWithin(clientB, `south/${b.thingName}/control`, 5000);
      await cloud.sendCommand(b.thingName, { Endpoints: [{ endpointId: '1', capabilities: [] }] });
      await cloud.createJob({ document: { op: 'b-only' }, targets: [b.thingName] });
      expect(await bGotRealCommand).toBe(true);
      expect(await aGotCommand).toBe(false);
      expect(await aGotNotify).toBe(false);
      const sawState = cloud.waitFor('state', (e) => e.managedThingId === b.thingName, 800).then(() => true, () => false);
      const bGotCommand = receivesWithin(clientB, `south/${b.thingName}/control`, 800);
      // A publishes on B's topics: refused (aedes closes A's connection, mosquitto drops the message)
      clientA.on('error', () => {});
      const aClosed = new Promise<boolean>((resolve) => {
        clientA.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 5000);
      });
      clientA.publish(`south/${b.thingName}/control`, JSON.stringify({ payload: { traceId: 'forged' } }), { qos: 0 });
      clientA.publish(`north/${b.thingName}/state`, JSON.stringify({ payload: { endpoints: [] } }), { qos: 0 });
      expect(await bGotCommand).toBe(false);
      expect(await sawState).toBe(false);
      expect(cloud.listStateReports(b.thingName).Items).toEqual([]);
      // aedes ends a connection that publishes outside its policy, as AWS does
      if (broker === 'embedded') expect(await aClosed).toBe(true);
      await clientA.endAsync(true);
      await clientB.endAsync();
    });

    it('a claim certificate may use only the fleet-provisioning topics', async () => {
      const device = await provisionedDevice();
      const listener = await connectDevice(cloud.mqttUrl, device.credentials, device.thingName);
      await listener.subscribeAsync(`south/${device.thingName}/control`, { qos: 1 });
      const client = await connectDevice(cloud.mqttUrl, claim, 'claim-acl');
      client.on('error', () => {});
      const granted = await subscribeGranted(client, [`south/${device.thingName}/control`, 'north/#']);
      if (broker === 'embedded') expect(granted).toEqual([128, 128]);
      const claimGot = receivesWithin(client, `south/${device.thingName}/control`, 800);
      const listenerGot = receivesWithin(listener, `south/${device.thingName}/control`, 5000);
      await cloud.sendCommand(device.thingName, { Endpoints: [{ endpointId: '1', capabilities: [] }] });
      expect(await listenerGot).toBe(true);
      expect(await claimGot).toBe(false);
      const got = receivesWithin(listener, `south/${device.thingName}/control`, 800);
      client.publish(`south/${device.thingName}/control`, '{"payload":{}}', { qos: 0 });
      expect(await got).toBe(false);
      await client.endAsync(true);
      await listener.endAsync();
    });

    it('a revoked certificate is disconnected and refused at connect; INACTIVE too', async () => {
      const device = await provisionedDevice();
      const client = await connectDevice(cloud.mqttUrl, device.credentials, device.thingName);
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      await cloud.revokeCertificate(device.certificateId);
      await closed;
      client.end(true);
      await expect(connectDevice(cloud.mqttUrl, device.credentials, device.thingName)).rejects.toThrow();
      expect(cloud.describeCertificate(device.certificateId).status).toBe('REVOKED');

      const other = await provisionedDevice();
      await cloud.updateCertificateStatus(other.certificateId, 'INACTIVE');
      await expect(connectDevice(cloud.mqttUrl, other.credentials, other.thingName)).rejects.toThrow();
      await cloud.updateCertificateStatus(other.certificateId, 'ACTIVE');
      const again = await connectDevice(cloud.mqttUrl, other.credentials, other.thingName);
      await again.endAsync();
    });
  });

  describe.skipIf(broker === 'mosquitto' && !mosquittoAvailable)('data plane', () => {
    it('stores a valid capability report and rejects invalid ones', async () => {
      const device = await provisionedDevice();
      const client = await connectDevice(cloud.mqttUrl, device.credentials, device.thingName);
      const topic = `north/${device.thingName}/setup/capabilities`;
      const stored = cloud.waitFor('capabilities', (e) => e.managedThingId === device.thingName);
      client.publish(topic, JSON.stringify(capabilityReport(2, 2)), { qos: 1 });
      expect((await stored).report).toEqual(capabilityReport(2, 2));
      const got = cloud.getCapabilities(device.thingName);
      expect(got.ManagedThingId).toBe(device.thingName);
      expect(got.CapabilityReport).toEqual(capabilityReport(2, 2));
      expect(JSON.parse(got.Capabilities!)).toEqual(capabilityReport(2, 2));

      for (const [report, reason] of [
        [{ ...capabilityReport(), version: '1.0' }, /version/],
        [capabilityReport(41, 1), /at most 40 endpoints/],
        [capabilityReport(1, 51), /at most 50 capabilities/],
      ] as const) {
        const rejected = cloud.waitFor('capabilities-rejected', (e) => e.managedThingId === device.thingName);
        client.publish(topic, JSON.stringify(report), { qos: 1 });
        expect((await rejected).reason).toMatch(reason);
      }
      expect(cloud.getCapabilities(device.thingName).CapabilityReport).toEqual(capabilityReport(2, 2));

      // the cloud can ask for a fresh report
      await client.subscribeAsync(`south/${device.thingName}/setup`, { qos: 1 });
      const ask = nextMessage(client, `south/${device.thingName}/setup`);
      await cloud.requestCapabilityReport(device.thingName);
      expect(JSON.parse((await ask).toString())).toMatchObject({ payload: { operation: 'CAPABILITY_REPORT' } });
      await client.endAsync();
    });

    it('stores state reports and events; GetManagedThingState has the latest values', async () => {
      const device = await provisionedDevice();
      const client = await connectDevice(cloud.mqttUrl, device.credentials, device.thingName);
      const report = (value: boolean, at: string) => ({ payload: { hasState: 'true', nodeId: '1', managedThingId: device.thingName,
        endpoints: [{ id: '1', capabilities: [{ id: 'matter.OnOff@1.4', name: 'On/Off', version: '1.0',
          properties: [{ name: 'OnOff', value, lastChangedAt: at }] }] }] } });
      const second = cloud.waitFor('state', (e) => JSON.stringify(e.payload).includes('"value":false'));
      client.publish(`north/${device.thingName}/state`, JSON.stringify(report(true, '2024-06-11T01:38:09.000Z')), { qos: 1 });
      client.publish(`north/${device.thingName}/state`, JSON.stringify(report(false, '2024-06-11T01:38:10.000Z')), { qos: 1 });
      await second;
      expect(cloud.getState(device.thingName)).toEqual({ Endpoints: [{ endpointId: '1', capabilities: [{
        id: 'matter.OnOff@1.4', name: 'On/Off', version: '1.0',
        properties: [{ name: 'OnOff', value: { propertyValue: false, lastChangedAt: '2024-06-11T01:38:10.000Z' } }] }] }] });
      expect(cloud.listStateReports(device.thingName).Items).toHaveLength(2);

      const event = { payload: { nodeId: '1', managedThingId: device.thingName, endpoints: [{ id: '1', capabilities: [{
        id: 'matter.Switch@1.4', events: [{ name: 'InitialPress', eventNumber: 17, priority: 'INFO',
          timestamp: '2024-06-11T01:38:11.000Z', parameters: { NewPosition: 1 } }] }] }] } };
      const seen = cloud.waitFor('event', (e) => e.managedThingId === device.thingName);
      client.publish(`north/${device.thingName}/events`, JSON.stringify(event), { qos: 1 });
      expect((await seen).payload).toEqual(event);
      expect(cloud.listEvents(device.thingName).Items.map((i) => (i as { Payload: unknown }).Payload)).toEqual([event]);

      // over AWS IoT's 128 KB payload limit: refused, never stored
      const huge = { payload: { ...event.payload, padding: 'x'.repeat(128 * 1024) } };
      const sawHuge = cloud.waitFor('event', (e) => e.managedThingId === device.thingName, 1000).then(() => true, () => false);
      client.on('error', () => {});
      client.publish(`north/${device.thingName}/events`, JSON.stringify(huge), { qos: 0 });
      expect(await sawHuge).toBe(false);
      expect(cloud.listEvents(device.thingName).Items).toHaveLength(1);
      await client.endAsync(true);
    });

    it('SendManagedThingCommand publishes the request and returns the response by traceId, or times out', async () => {
      const device = await provisionedDevice();
      const client = await connectDevice(cloud.mqttUrl, device.credentials, device.thingName);
      await client.subscribeAsync(`south/${device.thingName}/control`, { qos: 1 });
      client.on('message', (topic, payload) => {
        if (topic !== `south/${device.thingName}/control`) return;
        const { payload: req } = JSON.parse(payload.toString());
        if (req.endpoints[0].capabilities[0].actions[0].name === 'Ignore') return;
        client.publish(`north/${device.thingName}/control/response`, JSON.stringify({ payload: {
          traceId: req.traceId, managedThingId: device.thingName, nodeId: '1',
          endpoints: [{ id: '1', capabilities: [{ id: 'matter.OnOff@1.4', name: 'On/Off', version: '1.0',
            actions: [{ name: 'On', responseCode: 200 }], properties: [{ name: 'OnOff', value: true }] }] }] } }), { qos: 1 });
      });
      const body = (action: string) => ({ Endpoints: [{ endpointId: '1', capabilities: [{ id: 'matter.OnOff@1.4',
        name: 'On/Off', version: '1.0', actions: [{ name: action, parameters: {} }] }] }] });
      const result = await cloud.sendCommand(device.thingName, body('On'), { waitMs: 5000 });
      expect(result.TraceId).toMatch(/^trace-/);
      expect(result.Response).toMatchObject({ payload: { traceId: result.TraceId,
        endpoints: [{ capabilities: [{ actions: [{ name: 'On', responseCode: 200 }] }] }] } });
      expect(cloud.getCommand(result.TraceId)).toMatchObject({ Status: 'RESPONDED',
        Request: { payload: { traceId: result.TraceId, managedThingId: device.thingName,
          endpoints: [{ id: '1', capabilities: [{ id: 'matter.OnOff@1.4', actions: [{ name: 'On' }] }] }] } } });
      expect(cloud.getState(device.thingName).Endpoints).toHaveLength(1);

      const noWait = await cloud.sendCommand(device.thingName, body('On'));
      expect(Object.keys(noWait)).toEqual(['TraceId']);

      const timeout = cloud.sendCommand(device.thingName, body('Ignore'), { waitMs: 300 });
      await expect(timeout).rejects.toBeInstanceOf(CommandTimeoutError);
      await client.endAsync();
    });
  });

  describe.skipIf(broker === 'mosquitto' && !mosquittoAvailable)('jobs', () => {
    async function jobsClient(device: ProvisionedDevice) {
      const client = await connectDevice(cloud.mqttUrl, device.credentials, device.thingName);
      await client.subscribeAsync(`$aws/things/${device.thingName}/jobs/notify-next`, { qos: 1 });
      const call = async (suffix: string, body: unknown) =>
        request(client, `$aws/things/${device.thingName}/jobs/${suffix}`, JSON.stringify(body));
      return { client, call };
    }

    it('notify-next, get, start-next, describe, update with expectedVersion, terminal state', async () => {
      const device = await provisionedDevice();
      const { client, call } = await jobsClient(device);
      const notified = nextMessage(client, `$aws/things/${device.thingName}/jobs/notify-next`);
      await cloud.createJob({ jobId: `job-a-${broker}`, document: { operation: 'reboot' }, targets: [device.thingName] });
      const next = JSON.parse((await notified).toString());
      expect(next.execution).toMatchObject({ jobId: `job-a-${broker}`, status: 'QUEUED', jobDocument: { operation: 'reboot' },
        versionNumber: 1 });
      expect(Number.isInteger(next.timestamp) && next.timestamp < 1e11).toBe(true);

      const pending = await call('get', { clientToken: 'c-1' });
      expect(pending.outcome).toBe('accepted');
      expect(pending.body.clientToken).toBe('c-1');
      expect(pending.body.queuedJobs.map((j: { jobId: string }) => j.jobId)).toEqual([`job-a-${broker}`]);
      expect(pending.body.inProgressJobs).toEqual([]);

      const started = await call('start-next', { statusDetails: { step: 'download' }, clientToken: 'c-2' });
      expect(started.body.execution).toMatchObject({ jobId: `job-a-${broker}`, thingName: device.thingName,
        status: 'IN_PROGRESS', statusDetails: { step: 'download' }, versionNumber: 2, jobDocument: { operation: 'reboot' } });
      expect(started.body.execution.startedAt).toBeGreaterThanOrEqual(started.body.execution.queuedAt);

      const described = await call(`$next/get`, { includeJobDocument: false });
      expect(described.body.execution.jobId).toBe(`job-a-${broker}`);
      expect(described.body.execution.jobDocument).toBeUndefined();

      const mismatch = await call(`job-a-${broker}/update`, { status: 'IN_PROGRESS', expectedVersion: 1, clientToken: 'c-3' });
      expect(mismatch.outcome).toBe('rejected');
      expect(mismatch.body).toMatchObject({ code: 'VersionMismatch', clientToken: 'c-3',
        executionState: { status: 'IN_PROGRESS', versionNumber: 2 } });

      const progressed = await call(`job-a-${broker}/update`, { status: 'IN_PROGRESS', expectedVersion: '2',
        statusDetails: { progress: '42/100' }, includeJobExecutionState: true });
      expect(progressed.body.executionState).toEqual({ status: 'IN_PROGRESS', statusDetails: { progress: '42/100' },
        versionNumber: 3 });

      const done = await call(`job-a-${broker}/update`, { status: 'SUCCEEDED', expectedVersion: 3 });
      expect(done.outcome).toBe('accepted');
      const again = await call(`job-a-${broker}/update`, { status: 'IN_PROGRESS' });
      expect(again.body).toMatchObject({ code: 'InvalidStateTransition', executionState: { status: 'SUCCEEDED' } });

      const bad = await call(`job-a-${broker}/update`, { status: 'TIMED_OUT' });
      expect(bad.body.code).toBe('InvalidRequest');
      const missing = await call('nope/get', {});
      expect(missing.body.code).toBe('ResourceNotFound');
      const invalidJson = await request(client, `$aws/things/${device.thingName}/jobs/get`, '{not json');
      expect(invalidJson.body.code).toBe('InvalidJson');
      const empty = await call('start-next', {});
      expect(empty.body.execution).toBeUndefined();
      await client.endAsync();
    });

    it('a step timeout moves the execution to TIMED_OUT', async () => {
      const device = await provisionedDevice();
      const { client, call } = await jobsClient(device);
      await cloud.createJob({ jobId: `job-t-${broker}`, document: { op: 'x' }, targets: [device.thingName] });
      const timedOut = cloud.waitFor('job-execution', (e) => e.jobId === `job-t-${broker}` && e.status === 'TIMED_OUT', 5000);
      const started = await call('start-next', { stepTimeoutInMinutes: 1 });
      expect(started.body.execution.status).toBe('IN_PROGRESS');
      await timedOut;
      const late = await call(`job-t-${broker}/update`, { status: 'SUCCEEDED' });
      expect(late.body).toMatchObject({ code: 'InvalidStateTransition', executionState: { status: 'TIMED_OUT' } });

      // the job-level in-progress timer too, even while the device keeps reporting progress
      await cloud.createJob({ jobId: `job-p-${broker}`, document: { op: 'y' }, targets: [device.thingName],
        inProgressTimeoutInMinutes: 2 });
      const inProgressTimedOut = cloud.waitFor('job-execution',
        (e) => e.jobId === `job-p-${broker}` && e.status === 'TIMED_OUT', 8000);
      expect((await call('start-next', {})).body.execution.jobId).toBe(`job-p-${broker}`);
      await call(`job-p-${broker}/update`, { status: 'IN_PROGRESS', statusDetails: { progress: '1' } });
      await inProgressTimedOut;
      await client.endAsync();
    });
  });

  describe.skipIf(broker === 'mosquitto' && !mosquittoAvailable)('OTA tasks', () => {
    it('ONE_TIME: up to 100 targets; executions listed with status and timestamps; retries after FAILED', async () => {
      const device = await provisionedDevice();
      await expect(cloud.createOtaTask({ OtaType: 'ONE_TIME', Target: Array.from({ length: 101 }, () => device.thingName),
        JobDocument: { ota: {} } })).rejects.toThrow(/1 to 100/);
      const task = await cloud.createOtaTask({ OtaType: 'ONE_TIME', Description: 'one-time',
        Target: [`arn:aws:iotmanagedintegrations:us-east-1:123456789012:managed-thing/${device.thingName}`],
        JobDocument: { ota: { version: '1.2.0' } },
        OtaTaskExecutionRetryConfig: { RetryConfigCriteria: [{ FailureType: 'FAILED', MinNumberOfRetries: 1 }] } });
      expect(Object.keys(task).sort()).toEqual(['Arn', 'Description', 'TaskId']);
      const first = cloud.listOtaTaskExecutions(task.TaskId).taskExecutionSummaries as any[];
      expect(first).toHaveLength(1);
      expect(first[0]).toMatchObject({ managedThingId: device.thingName, taskExecutionSummary: { status: 'QUEUED', retryAttempt: 0 } });
      expect(typeof first[0].taskExecutionSummary.queuedAt).toBe('number');

      const client = await connectDevice(cloud.mqttUrl, device.credentials, device.thingName);
      const started = await request(client, `$aws/things/${device.thingName}/jobs/start-next`, '{}');
      expect(started.body.execution).toMatchObject({ jobId: task.TaskId, jobDocument: { ota: { version: '1.2.0' } } });
      await request(client, `$aws/things/${device.thingName}/jobs/${task.TaskId}/update`, JSON.stringify({ status: 'FAILED' }));
      const retried = (cloud.listOtaTaskExecutions(task.TaskId).taskExecutionSummaries as any[])[0];
      expect(retried.taskExecutionSummary).toMatchObject({ status: 'QUEUED', retryAttempt: 1 });
      expect(retried.taskExecutionSummary.executionNumber).not.toBe(first[0].taskExecutionSummary.executionNumber);
      await request(client, `$aws/things/${device.thingName}/jobs/start-next`, '{}');
      await request(client, `$aws/things/${device.thingName}/jobs/${task.TaskId}/update`, JSON.stringify({ status: 'SUCCEEDED' }));
      const final = (cloud.listOtaTaskExecutions(task.TaskId).taskExecutionSummaries as any[])[0].taskExecutionSummary;
      expect(final).toMatchObject({ status: 'SUCCEEDED', retryAttempt: 1 });
      expect(final.startedAt).toBeGreaterThanOrEqual(final.queuedAt);
      expect(final.lastUpdatedAt).toBeGreaterThanOrEqual(final.startedAt);
      await client.endAsync();
    });

    it('reads the job document from S3Url (a path, file:// or http:// URL) and rejects a missing one', async () => {
      const { id } = await newThing();
      const path = join(dataDir, `doc-${broker}.json`);
      writeFileSync(path, JSON.stringify({ ota: { version: '3.0.0', url: cloud.firmwareUrl('fw.bin') } }));
      writeFileSync(join(cloud.firmwareDir, `doc-${broker}.json`), JSON.stringify({ ota: { version: '3.0.1' } }));
      for (const [source, version] of [[path, '3.0.0'], [`file://${path}`, '3.0.0'],
        [cloud.firmwareUrl(`doc-${broker}.json`), '3.0.1']] as const) {
        const task = await cloud.createOtaTask({ Target: [id], S3Url: source });
        expect((cloud.describeJob(task.TaskId) as { document: unknown }).document).toMatchObject({ ota: { version } });
      }
      await expect(cloud.createOtaTask({ Target: [id], S3Url: join(dataDir, 'missing.json') }))
        .rejects.toMatchObject({ code: 'ValidationException' });
      await expect(cloud.createOtaTask({ OtaType: 'CONTINUOUS', OtaTargetQueryString: 'owner=x', JobDocument: {} }))
        .rejects.toThrow(/attributes/);
    });

    it('CONTINUOUS: targets things whose metadata matches, re-evaluated when things change', async () => {
      const owner = `team-${broker}`;
      const early = await newThing({ owner });
      const task = await cloud.createOtaTask({ OtaType: 'CONTINUOUS', OtaTargetQueryString: `attributes.owner=${owner}`,
        JobDocument: { ota: { version: '2.0.0' } } });
      const ids = () => (cloud.listOtaTaskExecutions(task.TaskId).taskExecutionSummaries as any[]).map((e) => e.managedThingId);
      expect(ids()).toEqual([early.id]);
      const later = await newThing();
      expect(ids()).toEqual([early.id]);
      const queued = cloud.waitFor('job-execution', (e) => e.jobId === task.TaskId && e.thingName === later.id);
      cloud.updateManagedThing(later.id, { metadata: { owner } });
      await queued;
      expect(ids().sort()).toEqual([early.id, later.id].sort());
    });
  });

  describe.skipIf(broker === 'mosquitto' && !mosquittoAvailable)('firmware server', () => {
    it('serves files with Range over HTTP and HTTPS', async () => {
      const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i & 0xff));
      writeFileSync(join(cloud.firmwareDir, 'fw.bin'), bytes);
      const whole = await fetch(cloud.firmwareUrl('fw.bin'));
      expect(Buffer.from(await whole.arrayBuffer())).toEqual(bytes);
      const part = await fetch(cloud.firmwareUrl('fw.bin'), { headers: { range: 'bytes=4096-8191' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe('bytes 4096-8191/10000');
      expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(4096, 8192));
      const tail = await fetch(cloud.firmwareUrl('fw.bin'), { headers: { range: 'bytes=9000-' } });
      expect(Buffer.from(await tail.arrayBuffer())).toEqual(bytes.subarray(9000));
      expect((await fetch(cloud.firmwareUrl('fw.bin'), { headers: { range: 'bytes=20000-' } })).status).toBe(416);
      expect((await fetch(cloud.firmwareUrl('missing.bin'))).status).toBe(404);
      const https = await import('node:https');
      const secure = await new Promise<Buffer>((resolve, reject) => {
        https.get(cloud.firmwareUrl('fw.bin', true), { ca: cloud.caPem, headers: { range: 'bytes=0-99' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        }).on('error', reject);
      });
      expect(secure).toEqual(bytes.subarray(0, 100));
    });
  });

  describe.skipIf(broker === 'mosquitto' && !mosquittoAvailable)('restart', () => {
    it('keeps all state across a restart; provisioned devices reconnect; revoked ones stay refused', async () => {
      const device = await provisionedDevice();
      const revoked = await provisionedDevice();
      await cloud.revokeCertificate(revoked.certificateId);
      const client = await connectDevice(cloud.mqttUrl, device.credentials, device.thingName);
      const stored = cloud.waitFor('capabilities', (e) => e.managedThingId === device.thingName);
      client.publish(`north/${device.thingName}/setup/capabilities`, JSON.stringify(capabilityReport()), { qos: 1 });
      await stored;
      await client.endAsync();
      await cloud.createJob({ jobId: `job-r-${broker}`, document: { op: 'after-restart' }, targets: [device.thingName] });
      const thingsBefore = cloud.listManagedThings();
      const profilesBefore = cloud.listProvisioningProfiles();
      const caBefore = cloud.caPem;

      await cloud.stop();
      cloud = await startCloud({ dataDir, broker, jobsMinuteMs: MINUTE_MS, now: () => Date.now() + clockOffset });

      expect(cloud.caPem).toBe(caBefore);
      expect(cloud.listManagedThings()).toEqual(thingsBefore);
      expect(cloud.listProvisioningProfiles()).toEqual(profilesBefore);
      expect(cloud.getCapabilities(device.thingName).CapabilityReport).toEqual(capabilityReport());
      const again = await connectDevice(cloud.mqttUrl, { ...device.credentials, ca: cloud.caPem }, device.thingName);
      const pending = await request(again, `$aws/things/${device.thingName}/jobs/get`, '{}');
      expect(pending.body.queuedJobs.map((j: { jobId: string }) => j.jobId)).toContain(`job-r-${broker}`);
      await again.endAsync();
      await expect(connectDevice(cloud.mqttUrl, revoked.credentials, revoked.thingName)).rejects.toThrow();
      // the claim certificate still provisions
      await provisionedDevice();
    });
  });
});
