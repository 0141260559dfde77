/**
 * The seed's own examples end to end: the real agent (modules/agent + modules/mqtt + platform/node
 * TLS transport) against the local cloud (simulator, aedes over TLS with client certificates).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { createAgent, registerCluster, reportAttribute, emitEvent, type Agent } from '../../modules/agent/index.js';
import { rounds } from '../helpers/rounds.js';
import { startCloudWithDevice, type CloudDevice } from './cloud-device.js';
import { OnOff, LevelControl, CameraAvStreamManagement } from '../datamodel/fixtures.js';

let env: CloudDevice;
let agent: Agent;
const light = { on: true, onTime: 0, onLevel: null as number | null, defaultMoveRate: null as number | null, calls: [] as string[] };
let camera: ReturnType<Agent['addEndpoint']>;

beforeAll(async () => {
  env = await startCloudWithDevice();
  agent = createAgent({
    platform: env.platform,
    endpoint: { host: '127.0.0.1', port: env.cloud.mqttPort, serverName: 'localhost' },
    thingName: env.thingName,
    managedThingId: env.thingName,
    reportWindowMs: 50,
    connect: { reconnect: { baseMs: 50, capMs: 200 } },
  });
  const ep1 = agent.addEndpoint('1', 'Data Model Handler Test Device', ['Camera']);
  registerCluster(
    ep1,
    OnOff,
    {
      getOnOff: (s: typeof light) => s.on,
      getOnTime: (s: typeof light) => s.onTime,
      setOnTime: (v: number, s: typeof light) => {
        s.calls.push(`setOnTime ${v}`);
        s.onTime = v;
      },
      on: async (_r: object, s: typeof light) => {
        s.on = true;
        reportAttribute(ep1, OnOff, 0, true);
      },
    },
    light,
  );
  registerCluster(
    ep1,
    LevelControl,
    {
      getCurrentLevel: () => 128,
      setOnLevel: (v: number | null, s: typeof light) => {
        s.calls.push(`setOnLevel ${v}`);
        s.onLevel = v;
      },
      setDefaultMoveRate: (v: number | null, s: typeof light) => {
        s.calls.push(`setDefaultMoveRate ${v}`);
        s.defaultMoveRate = v;
      },
    },
    light,
  );
  registerCluster(ep1, CameraAvStreamManagement, { videoStreamAllocate: () => ({ videoStreamID: 5 }) });
  camera = ep1;
  const report = env.cloud.waitFor('capabilities', (d) => d.managedThingId === env.thingName);
  await agent.start();
  await report;
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await env?.cleanup();
});

const seedBody = (capability: object, actions: object[]) => ({ Endpoints: [{ endpointId: '1', capabilities: [{ ...capability, actions }] }] });

describe('agent against the local cloud', () => {
  it('published a capability report the cloud accepted', async () => {
    const caps = env.cloud.getCapabilities(env.thingName) as any;
    const report = caps.CapabilityReport ?? caps;
    expect(JSON.stringify(report)).toContain('matter.OnOff@1.4');
    expect(agent.state).toBe('running');
  });

  it('ReadState of OnOff (seed example), checked field by field', async () => {
    light.on = true;
    const { TraceId, Response } = await env.cloud.sendCommand(
      env.thingName,
      seedBody({ id: 'aws.OnOff', name: 'On/Off', version: '1' }, [{ name: 'ReadState', parameters: { propertiesToRead: ['OnOff'] } }]),
      { waitMs: 5000 },
    );
    const p = (Response as any).payload;
    expect(p.traceId).toBe(TraceId);
    expect(p.commandReceivedAt).toMatch(/^\d{10}\.\d{3}$/);
    expect(p.commandExecutedAt).toMatch(/^\d{10}\.\d{3}$/);
    expect(Number(p.commandExecutedAt)).toBeGreaterThanOrEqual(Number(p.commandReceivedAt));
    expect(Math.abs(Number(p.commandReceivedAt) * 1000 - Date.now())).toBeLessThan(10_000);
    expect(p.managedThingId).toBe(env.thingName);
    expect(p.nodeId).toBe('1');
    expect(p.endpoints).toEqual([
      { id: '1', capabilities: [{ id: 'aws.OnOff', name: 'On/Off', version: '1', actions: [{ name: 'ReadState', responseCode: 200 }], properties: [{ name: 'OnOff', value: true }] }] },
    ]);
  });

  it('ReadState * (seed example)', async () => {
    light.onTime = 7;
    const { Response } = await env.cloud.sendCommand(env.thingName, seedBody({ id: 'aws.OnOff', name: 'On/Off', version: '1' }, [{ name: 'ReadState', parameters: { propertiesToRead: ['*'] } }]), {
      waitMs: 5000,
    });
    const cap = (Response as any).payload.endpoints[0].capabilities[0];
    expect(cap.actions).toEqual([{ name: 'ReadState', responseCode: 200 }]);
    expect(cap.properties).toEqual([
      { name: 'OnOff', value: true },
      { name: 'OnTime', value: 7 },
    ]);
  });

  it('UpdateState of OnTime (seed example)', async () => {
    light.calls.length = 0;
    const { Response } = await env.cloud.sendCommand(env.thingName, seedBody({ id: 'matter.OnOff', name: 'On/Off', version: '1' }, [{ name: 'UpdateState', parameters: { OnTime: 5 } }]), {
      waitMs: 5000,
    });
    expect((Response as any).payload.endpoints[0].capabilities[0]).toEqual({ id: 'matter.OnOff', name: 'On/Off', version: '1', actions: [{ name: 'UpdateState', responseCode: 200 }] });
    expect(light.calls).toEqual(['setOnTime 5']);
    expect(light.onTime).toBe(5);
  });

  it('the LevelControl UpdateState IPC example', async () => {
    light.calls.length = 0;
    const { TraceId, Response } = await env.cloud.sendCommand(
      env.thingName,
      {
        payload: {
          traceId: 'LIGHT_DIMMING_UPDATE',
          nodeId: '1',
          managedThingId: env.thingName,
          endpoints: [{ id: '1', capabilities: [{ id: 'matter.LevelControl@1.4', name: 'Level Control', version: '1.0', actions: [{ name: 'UpdateState', parameters: { OnLevel: 5, DefaultMoveRate: 30 } }] }] }],
        },
      },
      { waitMs: 5000 },
    );
    const p = (Response as any).payload;
    expect(p.traceId).toBe(TraceId);
    expect(p.endpoints).toEqual([{ id: '1', capabilities: [{ id: 'matter.LevelControl@1.4', name: 'Level Control', version: '1.0', actions: [{ name: 'UpdateState', responseCode: 200 }] }] }]);
    expect(light.calls).toEqual(['setOnLevel 5', 'setDefaultMoveRate 30']);
  });

  it('a command whose callback reports a property: response, then the coalesced state report', async () => {
    light.on = false;
    const state = env.cloud.waitFor('state', (d) => d.managedThingId === env.thingName);
    const { Response } = await env.cloud.sendCommand(env.thingName, seedBody({ id: 'matter.OnOff@1.4' }, [{ name: 'On' }]), { waitMs: 5000 });
    expect((Response as any).payload.endpoints[0].capabilities[0].actions).toEqual([{ name: 'On', responseCode: 200 }]);
    const s = (await state).payload as any;
    expect(s.payload.hasState).toBe('true');
    expect(s.payload.endpoints[0].capabilities[0].properties[0]).toMatchObject({ name: 'OnOff', value: true });
    const cloudState = env.cloud.getState(env.thingName) as any;
    expect(JSON.stringify(cloudState)).toContain('"OnOff"');
  });

  it('a camera event reaches the cloud with number, priority, timestamp and parameters', async () => {
    const got = env.cloud.waitFor('event', (d) => d.managedThingId === env.thingName);
    emitEvent(camera, CameraAvStreamManagement, 0, { videoStreamID: 3, streamUsage: 1, maxFrameRate: 30 }, { immediate: true });
    const e = ((await got).payload as any).payload;
    expect(e.managedThingId).toBe(env.thingName);
    const cap = e.endpoints[0].capabilities[0];
    expect(cap.id).toBe('matter.CameraAvStreamManagement@1.4');
    expect(cap.events).toHaveLength(1);
    const ev = cap.events[0];
    expect(ev.name).toBe('VideoStreamChanged');
    expect(Number.isInteger(ev.eventNumber) && ev.eventNumber >= 1).toBe(true);
    expect(ev.priority).toBe('INFO');
    expect(Math.abs(Date.parse(ev.timestamp) - Date.now())).toBeLessThan(10_000);
    expect(ev.parameters).toEqual({ VideoStreamID: 3, StreamUsage: 1, MaxFrameRate: 30 });
  });

  it('answers the Matter form in Matter form', async () => {
    const { Response } = await env.cloud.sendCommand(
      env.thingName,
      { payload: { endpoints: [{ id: '1', clusters: [{ id: '0x0006', commands: { '0x01': {} }, attributes: { '0x4001': 9 } }] }] } },
      { waitMs: 5000 },
    );
    expect((Response as any).payload.endpoints).toEqual([{ id: '1', clusters: [{ id: '0x0006', commands: [{ '0x01': { responseCode: 200 } }, { '0xff01': { responseCode: 200 } }] }] }]);
    expect(light.onTime).toBe(9);
  });

  it('sends a fresh capability report when the cloud asks on the setup topic', async () => {
    const report = env.cloud.waitFor('capabilities', (d) => d.managedThingId === env.thingName);
    await env.cloud.requestCapabilityReport(env.thingName);
    expect(((await report).report as any).endpoints[0].capabilities.map((c: any) => c.id)).toEqual([
      'matter.OnOff@1.4',
      'matter.LevelControl@1.4',
      'matter.CameraAvStreamManagement@1.4',
    ]);
  });

  it('keeps state and events while stopped and sends everything after the next start', async () => {
    await agent.stop();
    expect(agent.mqtt.connected).toBe(false);
    reportAttribute(camera, LevelControl, 0, 10);
    reportAttribute(camera, LevelControl, 0, 20);
    emitEvent(camera, CameraAvStreamManagement, 0, { videoStreamID: 1 });
    emitEvent(camera, CameraAvStreamManagement, 0, { videoStreamID: 2 }, { immediate: true });
    const state = env.cloud.waitFor('state', (d) => JSON.stringify(d.payload).includes('CurrentLevel'));
    const events = env.cloud.waitFor('event', (d) => JSON.stringify(d.payload).includes('"VideoStreamID":2'));
    await agent.start();
    // Other capabilities may ride along (a report still inside its window at stop()); LevelControl holds only the latest value.
    const caps = ((await state).payload as any).payload.endpoints[0].capabilities;
    const level = caps.find((c: any) => c.id === 'matter.LevelControl@1.4');
    expect(level.properties.map((p: any) => [p.name, p.value])).toEqual([['CurrentLevel', 20]]);
    const ev = ((await events).payload as any).payload.endpoints[0].capabilities[0].events;
    expect(ev.map((e: any) => e.parameters.VideoStreamID)).toEqual([1, 2]);
    expect(ev[1].eventNumber).toBe(ev[0].eventNumber + 1);
  });

  it('holds events and state while the broker has dropped the device, sends them after the agent reconnects by itself', async () => {
    const down = env.cloud.waitFor('disconnected', (d) => d.clientId === env.thingName);
    const up = env.cloud.waitFor('connected', (d) => d.clientId === env.thingName, 15_000);
    await env.cloud.broker.disconnectCertificate(env.certificateId, [env.thingName]);
    await down;
    const events = env.cloud.waitFor('event', (d) => JSON.stringify(d.payload).includes('"VideoStreamID":12'), 15_000);
    for (const id of [10, 11, 12]) emitEvent(camera, CameraAvStreamManagement, 0, { videoStreamID: id }, { immediate: true });
    reportAttribute(camera, LevelControl, 0, 77, { immediate: true });
    // Once the device has noticed the drop, the events wait in the data model's own FIFO (not the MQTT offline queue).
    if (!agent.mqtt.connected) expect(agent.dataModel.pendingEvents).toBe(3);
    await up;
    const received = env.cloud.listEvents(env.thingName) as unknown;
    const all = JSON.stringify(received) + JSON.stringify((await events).payload);
    for (const id of [10, 11, 12]) expect(all).toContain(`"VideoStreamID":${id}`);
    // Commands work again on the new connection (the MQTT agent resubscribed).
    const { Response } = await env.cloud.sendCommand(env.thingName, seedBody({ id: 'matter.LevelControl@1.4' }, [{ name: 'ReadState', parameters: { propertiesToRead: ['CurrentLevel'] } }]), { waitMs: 5000 });
    expect((Response as any).payload.endpoints[0].capabilities[0].properties).toEqual([{ name: 'CurrentLevel', value: 128 }]);
  }, 30_000);

  it(`answers a random sample of payloads through the broker (${rounds(300, 60)} runs)`, async () => {
    const actions = fc.oneof(
      fc.record({ name: fc.constantFrom('ReadState', 'UpdateState', 'On', 'Toggle', 'MoveToLevel', 'Nope'), parameters: fc.dictionary(fc.constantFrom('OnTime', 'OnLevel', 'propertiesToRead', 'Level'), fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.constant(['*']), fc.string({ maxLength: 4 }), fc.constant(null)), { maxKeys: 2 }) }, { requiredKeys: ['name'] }),
      fc.anything({ maxDepth: 1 }),
    );
    const body = fc.record({ payload: fc.record({ endpoints: fc.array(fc.record({ id: fc.constantFrom('1', '2'), capabilities: fc.array(fc.record({ id: fc.constantFrom('matter.OnOff@1.4', 'matter.LevelControl@1.4', 'x.Y'), actions: fc.array(actions, { maxLength: 3 }) }), { maxLength: 2 }) }), { minLength: 1, maxLength: 2 }) }) });
    const samples = fc.sample(body, { numRuns: rounds(300, 60), seed: 7 });
    for (const sample of samples) {
      const { TraceId, Response } = await env.cloud.sendCommand(env.thingName, sample as Record<string, unknown>, { waitMs: 5000 });
      const p = (Response as any).payload;
      expect(p.traceId).toBe(TraceId);
      expect(p.endpoints.length).toBe(sample.payload.endpoints.length);
      for (const [i, ep] of p.endpoints.entries()) {
        for (const [j, cap] of ep.capabilities.entries()) {
          expect(cap.actions.length).toBe(sample.payload.endpoints[i]!.capabilities[j]!.actions.length);
          for (const a of cap.actions) expect([200, 400, 404, 405, 500, 501]).toContain(a.responseCode);
        }
      }
    }
    // Broken bytes straight onto the control topic: dropped and counted, and the device keeps answering.
    const droppedBefore = agent.dataModel.counters.droppedMalformed;
    await env.cloud.broker.publish(`south/${env.thingName}/control`, '{"payload": {', 1);
    await env.cloud.broker.publish(`south/${env.thingName}/control`, Buffer.from([0xff, 0xfe]), 1);
    const { Response } = await env.cloud.sendCommand(env.thingName, seedBody({ id: 'aws.OnOff' }, [{ name: 'ReadState', parameters: { propertiesToRead: ['OnOff'] } }]), { waitMs: 5000 });
    expect((Response as any).payload.endpoints[0].capabilities[0].actions[0].responseCode).toBe(200);
    expect(agent.dataModel.counters.droppedMalformed).toBe(droppedBefore + 2);
  }, 120_000);
});
