import { describe, it, expect, afterEach } from 'vitest';
import { DataModelHandler, registerCluster, reportAttribute, emitEvent, EVENT_NUMBER_KEY } from '../../modules/datamodel/index.js';
import { MemoryMqtt, MemoryStorage, testPlatform, sleep, text } from './support.js';
import { OnOff, LevelControl, CameraAvStreamManagement, Labels } from './fixtures.js';

const THING = 'cam1';
const STATE = `north/${THING}/state`;
const EVENTS = `north/${THING}/events`;
const CAPS = `north/${THING}/setup/capabilities`;

const handlers: DataModelHandler[] = [];
afterEach(async () => {
  for (const h of handlers.splice(0)) await h.close();
});

async function setup(options: ConstructorParameters<typeof DataModelHandler>[1] = {}, storage = new MemoryStorage()) {
  const platform = testPlatform({ storage });
  const mqtt = new MemoryMqtt();
  const handler = new DataModelHandler(platform, { managedThingId: 'mt-cam', reportWindowMs: 30, ...options });
  handlers.push(handler);
  const ep = handler.addEndpoint('1', 'Camera', ['Camera']);
  registerCluster(ep, OnOff, { getOnOff: () => true, on: () => undefined });
  registerCluster(ep, LevelControl, {});
  registerCluster(ep, CameraAvStreamManagement, {});
  await handler.attach(mqtt, THING);
  return { platform, mqtt, handler, ep, storage };
}

describe('property reports', () => {
  it('coalesces changes per property within the window, last value wins, one message', async () => {
    const { mqtt, ep, platform } = await setup();
    reportAttribute(ep, OnOff, 0, true);
    reportAttribute(ep, LevelControl, 0, 10);
    reportAttribute(ep, OnOff, 0, false);
    platform.clock.ms += 1000;
    reportAttribute(ep, LevelControl, 0, 42);
    expect(mqtt.on(STATE)).toHaveLength(0);
    const msg = await mqtt.nextOn(STATE);
    await sleep(40);
    expect(mqtt.on(STATE)).toHaveLength(1);
    expect(msg.json).toEqual({
      payload: {
        hasState: 'true',
        nodeId: '1',
        managedThingId: 'mt-cam',
        endpoints: [
          {
            id: '1',
            capabilities: [
              { id: 'matter.OnOff@1.4', name: 'OnOff', version: '1.0', properties: [{ name: 'OnOff', value: false, lastChangedAt: '2024-06-11T01:38:09.000Z' }] },
              { id: 'matter.LevelControl@1.4', name: 'LevelControl', version: '1.0', properties: [{ name: 'CurrentLevel', value: 42, lastChangedAt: '2024-06-11T01:38:10.000Z' }] },
            ],
          },
        ],
      },
    });
  });

  it('publishes at once with {immediate: true}, also from inside a command callback', async () => {
    const platform = testPlatform();
    const mqtt = new MemoryMqtt();
    const handler = new DataModelHandler(platform, { reportWindowMs: 10_000 });
    handlers.push(handler);
    const ep = handler.addEndpoint('1', 'Light', ['Light']);
    registerCluster(ep, OnOff, {
      on: () => {
        reportAttribute(ep, OnOff, 0, true, { immediate: true });
      },
    });
    await handler.attach(mqtt, THING);
    const state = mqtt.nextOn(STATE);
    const response = await handler.handleMessage(text.encode(JSON.stringify({ payload: { endpoints: [{ id: '1', capabilities: [{ id: 'matter.OnOff@1.4', actions: [{ name: 'On' }] }] }] } })));
    expect(JSON.parse(text.decode(response!)).payload.endpoints[0].capabilities[0].actions[0].responseCode).toBe(200);
    expect((await state).json.payload.endpoints[0].capabilities[0].properties[0]).toMatchObject({ name: 'OnOff', value: true });
    // ReadState without a getter falls back to the reported value.
    const read = await handler.handleMessage(text.encode(JSON.stringify({ payload: { endpoints: [{ id: '1', capabilities: [{ id: 'matter.OnOff@1.4', actions: [{ name: 'ReadState', parameters: { propertiesToRead: ['*'] } }] }] }] } })));
    expect(JSON.parse(text.decode(read!)).payload.endpoints[0].capabilities[0].properties).toEqual([{ name: 'OnOff', value: true }]);
  });

  it('refuses a report whose value breaks the type', async () => {
    const { ep } = await setup();
    expect(() => reportAttribute(ep, LevelControl, 0, 300)).toThrow(/CurrentLevel: expected int8u in 0..255, got 300/);
    expect(() => reportAttribute(ep, OnOff, 0, null)).toThrow(/not nullable/);
    expect(() => reportAttribute(ep, OnOff, 0x9999, 1)).toThrow(/no attribute 0x9999/);
    expect(() => reportAttribute(ep, Labels, 0, 'x')).toThrow(/not registered/);
    expect(() => reportAttribute({ id: '1' }, OnOff, 0, true)).toThrow(/returned by agent.addEndpoint/);
  });

  it('keeps only the latest value per property while offline and sends it after reconnect', async () => {
    const { mqtt, ep } = await setup();
    mqtt.goOffline();
    for (let i = 0; i < 50; i++) reportAttribute(ep, LevelControl, 0, i);
    reportAttribute(ep, OnOff, 0, true, { immediate: true });
    await sleep(60);
    expect(mqtt.on(STATE)).toHaveLength(0);
    const next = mqtt.nextOn(STATE);
    mqtt.goOnline();
    const msg = (await next).json;
    const props = msg.payload.endpoints[0].capabilities.flatMap((c: any) => c.properties.map((p: any) => [p.name, p.value]));
    expect(props.sort()).toEqual([
      ['CurrentLevel', 49],
      ['OnOff', true],
    ]);
  });
});

describe('events', () => {
  const camEvent = (ep: any, id: number, immediate = false) => emitEvent(ep, CameraAvStreamManagement, 0, { videoStreamID: id, streamUsage: 1 }, { immediate });

  it('publishes the camera event with number, priority, timestamp and parameters, never coalesced', async () => {
    const { mqtt, ep } = await setup();
    const first = mqtt.nextOn(EVENTS);
    camEvent(ep, 3, true);
    expect((await first).json).toEqual({
      payload: {
        nodeId: '1',
        managedThingId: 'mt-cam',
        endpoints: [
          {
            id: '1',
            capabilities: [
              {
                id: 'matter.CameraAvStreamManagement@1.4',
                name: 'CameraAvStreamManagement',
                version: '1.0',
                events: [{ name: 'VideoStreamChanged', eventNumber: 1, priority: 'INFO', timestamp: '2024-06-11T01:38:09.000Z', parameters: { VideoStreamID: 3, StreamUsage: 1 } }],
              },
            ],
          },
        ],
      },
    });
    camEvent(ep, 4);
    camEvent(ep, 4);
    const batch = (await mqtt.nextOn(EVENTS)).json;
    const events = batch.payload.endpoints[0].capabilities[0].events;
    expect(events.map((e: any) => [e.eventNumber, e.parameters.VideoStreamID])).toEqual([
      [2, 4],
      [3, 4],
    ]);
  });

  it('validates event fields', async () => {
    const { ep } = await setup();
    expect(() => emitEvent(ep, CameraAvStreamManagement, 0, { streamUsage: 1 })).toThrow(/videoStreamID: missing mandatory field/);
    expect(() => emitEvent(ep, CameraAvStreamManagement, 0, { videoStreamID: 1, streamUsage: 9 })).toThrow(/StreamUsageEnum/);
    expect(() => emitEvent(ep, CameraAvStreamManagement, 5, {})).toThrow(/no event 0x5/);
  });

  it('holds events in a bounded FIFO while offline, drops the oldest (counted, logged), sends the rest in order after reconnect', async () => {
    const { mqtt, ep, handler, platform } = await setup({ eventQueueSize: 4 });
    mqtt.goOffline();
    for (let i = 1; i <= 7; i++) camEvent(ep, i, i % 2 === 0);
    await sleep(50);
    expect(mqtt.on(EVENTS)).toHaveLength(0);
    expect(handler.reportCounters.eventsDropped).toBe(3);
    expect(handler.pendingEvents).toBe(4);
    expect(platform.log.has(/dropped event CameraAvStreamManagement.VideoStreamChanged #3: event queue full/)).toBe(true);
    const next = mqtt.nextOn(EVENTS);
    mqtt.goOnline();
    const events = (await next).json.payload.endpoints[0].capabilities[0].events;
    expect(events.map((e: any) => [e.eventNumber, e.parameters.VideoStreamID])).toEqual([
      [4, 4],
      [5, 5],
      [6, 6],
      [7, 7],
    ]);
    expect(handler.pendingEvents).toBe(0);
  });

  it('keeps events whose publish failed and sends them on the next flush', async () => {
    const { mqtt, ep, handler } = await setup();
    mqtt.failPublishes = true;
    camEvent(ep, 1, true);
    await sleep(5);
    expect(handler.reportCounters.publishFailures).toBe(1);
    expect(handler.pendingEvents).toBe(1);
    mqtt.failPublishes = false;
    const next = mqtt.nextOn(EVENTS);
    camEvent(ep, 2, true);
    const events = (await next).json.payload.endpoints[0].capabilities[0].events;
    expect(events.map((e: any) => e.eventNumber)).toEqual([1, 2]);
  });

  it('numbers events monotonically across reboots, writing storage once per block, never reusing a number', async () => {
    const storage = new MemoryStorage();
    const seen: number[] = [];
    for (let boot = 0; boot < 3; boot++) {
      const { mqtt, ep, handler } = await setup({ eventNumberBlock: 8 }, storage);
      const writesBefore = storage.writes;
      for (let i = 0; i < 20; i++) camEvent(ep, i, true);
      await sleep(20);
      const numbers = mqtt.on(EVENTS).flatMap((m) => m.json.payload.endpoints[0].capabilities[0].events.map((e: any) => e.eventNumber));
      expect(numbers).toHaveLength(20);
      seen.push(...numbers);
      // 20 events, blocks of 8: a handful of writes, not one per event.
      expect(storage.writes - writesBefore).toBeLessThanOrEqual(5);
      await handler.close(); // "reboot": a new handler reads the mark from the same storage
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    expect(new Set(seen).size).toBe(60);
    expect(Number(text.decode(storage.map.get(EVENT_NUMBER_KEY)!))).toBeGreaterThan(seen[seen.length - 1]!);
  });

  it('publishes an event only once its number is durably reserved (slow flash)', async () => {
    const storage = new MemoryStorage();
    const { mqtt, ep } = await setup({ eventNumberBlock: 2 }, storage);
    storage.setDelayMs = 30;
    for (let i = 0; i < 6; i++) camEvent(ep, i, true);
    await sleep(5);
    const early = mqtt.on(EVENTS).flatMap((m) => m.json.payload.endpoints[0].capabilities[0].events.map((e: any) => e.eventNumber));
    const mark = Number(text.decode(storage.map.get(EVENT_NUMBER_KEY)!));
    for (const n of early) expect(n).toBeLessThan(mark);
    await sleep(200);
    const all = mqtt.on(EVENTS).flatMap((m) => m.json.payload.endpoints[0].capabilities[0].events.map((e: any) => e.eventNumber));
    expect(all).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Number(text.decode(storage.map.get(EVENT_NUMBER_KEY)!))).toBeGreaterThan(6);
  });
});

describe('capability report', () => {
  it('is built from the registered endpoints, published on attach and when the cloud asks on the setup topic', async () => {
    const { mqtt, handler } = await setup();
    expect(mqtt.on(CAPS)).toHaveLength(1);
    expect(mqtt.on(CAPS)[0]!.json).toEqual({
      version: '1.0.0',
      nodeId: '1',
      endpoints: [
        {
          id: '1',
          deviceTypes: ['Camera'],
          capabilities: [
            { id: 'matter.OnOff@1.4', name: 'OnOff', version: '6', properties: ['OnOff'], actions: ['On'], events: [] },
            { id: 'matter.LevelControl@1.4', name: 'LevelControl', version: '6', properties: ['CurrentLevel', 'Options', 'OnLevel'], actions: [], events: [] },
            { id: 'matter.CameraAvStreamManagement@1.4', name: 'CameraAvStreamManagement', version: '1', properties: ['MaxConcurrentEncoders'], actions: [], events: ['VideoStreamChanged'] },
          ],
        },
      ],
    });
    const next = mqtt.nextOn(CAPS);
    mqtt.inject(`south/${THING}/setup`, '{"payload":{"request":"capabilities"}}');
    await next;
    expect(handler.counters.capabilityReports).toBe(2);
  });

  it('enforces the limits: endpoint ids, 40 endpoints, 50 capabilities per endpoint', async () => {
    const h = new DataModelHandler(testPlatform());
    handlers.push(h);
    expect(() => h.addEndpoint('a-b', 'x', ['Light'])).toThrow(/endpoint id of 1..64 \[0-9a-zA-Z\]/);
    expect(() => h.addEndpoint('1', 'x', [])).toThrow(/at least one device type/);
    for (let i = 0; i < 40; i++) h.addEndpoint(String(i), 'e', ['Light']);
    expect(() => h.addEndpoint('40', 'e', ['Light'])).toThrow(/40 endpoints/);
    const h2 = new DataModelHandler(testPlatform(), { maxCapabilitiesPerEndpoint: 2 });
    handlers.push(h2);
    const ep = h2.addEndpoint('1', 'e', ['Light']);
    registerCluster(ep, OnOff, {});
    expect(() => registerCluster(ep, OnOff, {})).toThrow(/already registered/);
    registerCluster(ep, LevelControl, {});
    expect(() => registerCluster(ep, Labels, {})).toThrow(/2 capabilities \(the limit\)/);
  });
});
