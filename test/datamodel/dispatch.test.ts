import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { DataModelHandler, registerCluster, ActionError } from '../../modules/datamodel/index.js';
import { MemoryMqtt, testPlatform, text, sleep } from './support.js';
import { OnOff, LevelControl, CameraAvStreamManagement, Labels, FanControl } from './fixtures.js';

const THING = 'thing1';
const CONTROL = `south/${THING}/control`;
const RESPONSE = `north/${THING}/control/response`;

interface Light {
  on: boolean;
  onTime: number;
  onLevel: number | null;
  defaultMoveRate: number | null;
  calls: string[];
}

let platform: ReturnType<typeof testPlatform>;
let mqtt: MemoryMqtt;
let handler: DataModelHandler;
let light: Light;

async function send(request: unknown): Promise<any> {
  const next = mqtt.nextOn(RESPONSE);
  mqtt.inject(CONTROL, typeof request === 'string' ? request : JSON.stringify(request));
  return (await next).json;
}

beforeEach(async () => {
  platform = testPlatform();
  mqtt = new MemoryMqtt();
  handler = new DataModelHandler(platform, { managedThingId: 'mt-1', callbackTimeoutMs: 50 });
  light = { on: true, onTime: 0, onLevel: null, defaultMoveRate: null, calls: [] };
  const ep = handler.addEndpoint('1', 'Light', ['Light']);
  registerCluster(
    ep,
    OnOff,
    {
      getOnOff: (ctx: Light) => ctx.on,
      getOnTime: (ctx: Light) => ctx.onTime,
      setOnTime: (v: number, ctx: Light) => {
        ctx.calls.push(`setOnTime ${v}`);
        ctx.onTime = v;
      },
      on: (_r: object, ctx: Light) => {
        ctx.calls.push('on');
        ctx.on = true;
      },
      off: async (_r: object, ctx: Light) => {
        await sleep(1);
        ctx.calls.push('off');
        ctx.on = false;
      },
      toggle: (_r: object, ctx: Light) => {
        ctx.calls.push('toggle');
        ctx.on = !ctx.on;
      },
      onWithTimedOff: (r: object, ctx: Light) => {
        ctx.calls.push('onWithTimedOff ' + JSON.stringify(r));
      },
      offWithEffect: () => {
        throw new Error('effect hardware missing');
      },
      onWithRecallGlobalScene: () => new Promise(() => undefined), // never settles: times out
    },
    light,
  );
  registerCluster(
    ep,
    LevelControl,
    {
      getCurrentLevel: () => 100,
      getOnLevel: (ctx: Light) => ctx.onLevel,
      setOnLevel: (v: number | null, ctx: Light) => {
        ctx.calls.push(`setOnLevel ${v}`);
        ctx.onLevel = v;
      },
      setDefaultMoveRate: (v: number | null, ctx: Light) => {
        ctx.calls.push(`setDefaultMoveRate ${v}`);
        ctx.defaultMoveRate = v;
      },
      setOptions: () => {
        throw new ActionError(409, 'OPTIONS_LOCKED', 'options are locked by the installer');
      },
    },
    light,
  );
  registerCluster(ep, CameraAvStreamManagement, {
    videoStreamAllocate: (r: { streamUsage: number; minFrameRate: number }) => ({ videoStreamID: 7 + r.streamUsage }),
  });
  const labels = { label: 'x', blob: new Uint8Array([1, 2]) as Uint8Array, tags: [] as string[], point: { x: 1 }, ratio: 0.5 };
  registerCluster(ep, Labels, {
    getLabel: () => labels.label,
    setLabel: (v: string) => void (labels.label = v),
    getBlob: () => labels.blob,
    setBlob: (v: Uint8Array) => void (labels.blob = v),
    setTags: (v: string[]) => void (labels.tags = v),
    getPoint: () => labels.point,
    setPoint: (v: { x: number }) => void (labels.point = v),
    setRatio: (v: number) => void (labels.ratio = v),
    describe: (r: { text: string }) => ({ length: r.text.length, echo: r.text }),
  });
  registerCluster(handler.addEndpoint('2', 'Fan', ['Fan']), FanControl, { getFanMode: () => 3 });
  await handler.attach(mqtt, THING);
});

afterEach(async () => {
  await handler.close();
});

/** The seed's SendManagedThingCommand shape (capitalised Endpoints, endpointId). */
function seedRequest(capability: object, actions: object[], traceId = 't-1') {
  return { payload: { traceId, managedThingId: 'mt-1', Endpoints: [{ endpointId: '1', capabilities: [{ ...capability, actions }] }] } };
}

describe('capability form (device-protocol.md 4.1/4.2)', () => {
  it('answers the seed ReadState of OnOff field by field', async () => {
    light.on = true;
    platform.clock.ms = 1684911358533;
    const r = await send(seedRequest({ id: 'aws.OnOff', name: 'On/Off', version: '1' }, [{ name: 'ReadState', parameters: { propertiesToRead: ['OnOff'] } }]));
    expect(Object.keys(r)).toEqual(['payload']);
    const p = r.payload;
    expect(p.traceId).toBe('t-1');
    expect(p.commandReceivedAt).toBe('1684911358.533');
    expect(p.commandExecutedAt).toMatch(/^\d{10}\.\d{3}$/);
    expect(p.managedThingId).toBe('mt-1');
    expect(p.nodeId).toBe('1');
    expect(p.endpoints).toEqual([
      {
        id: '1',
        capabilities: [
          { id: 'aws.OnOff', name: 'On/Off', version: '1', actions: [{ name: 'ReadState', responseCode: 200 }], properties: [{ name: 'OnOff', value: true }] },
        ],
      },
    ]);
  });

  it('reads every readable property with ["*"]', async () => {
    light.onTime = 12;
    const r = await send(seedRequest({ id: 'aws.OnOff' }, [{ name: 'ReadState', parameters: { propertiesToRead: ['*'] } }]));
    const cap = r.payload.endpoints[0].capabilities[0];
    expect(cap.actions).toEqual([{ name: 'ReadState', responseCode: 200 }]);
    expect(cap.properties).toEqual([
      { name: 'OnOff', value: true },
      { name: 'OnTime', value: 12 },
    ]);
  });

  it('updates OnTime (seed UpdateState example) and passes the registration context', async () => {
    const r = await send(seedRequest({ id: 'matter.OnOff', name: 'On/Off', version: '1' }, [{ name: 'UpdateState', parameters: { OnTime: 5 } }]));
    expect(r.payload.endpoints[0].capabilities[0].actions).toEqual([{ name: 'UpdateState', responseCode: 200 }]);
    expect(light.onTime).toBe(5);
    expect(light.calls).toEqual(['setOnTime 5']);
  });

  it('runs the LevelControl IPC example (lower-case endpoints, id)', async () => {
    const r = await send({
      payload: {
        traceId: 'LIGHT_DIMMING_UPDATE',
        nodeId: '1',
        managedThingId: '59d3c90c55c4491192d841879192d33f',
        endpoints: [
          {
            id: '1',
            capabilities: [
              { id: 'matter.LevelControl@1.4', name: 'Level Control', version: '1.0', actions: [{ name: 'UpdateState', parameters: { OnLevel: 5, DefaultMoveRate: 30 } }] },
            ],
          },
        ],
      },
    });
    expect(r.payload.traceId).toBe('LIGHT_DIMMING_UPDATE');
    expect(r.payload.managedThingId).toBe('59d3c90c55c4491192d841879192d33f');
    expect(r.payload.endpoints[0].capabilities[0]).toEqual({
      id: 'matter.LevelControl@1.4',
      name: 'Level Control',
      version: '1.0',
      actions: [{ name: 'UpdateState', responseCode: 200 }],
    });
    expect(light.calls).toEqual(['setOnLevel 5', 'setDefaultMoveRate 30']);
  });

  it('runs every action in order and keeps going after failures, one response per request', async () => {
    light.on = false;
    const r = await send(
      seedRequest({ id: 'matter.OnOff@1.4' }, [
        { name: 'On' },
        { name: 'ReadState', parameters: { propertiesToRead: ['OnOff'] } },
        { name: 'Off' },
        { name: 'Blink' },
        { name: 'UpdateState', parameters: { OnTime: 70000 } },
        { name: 'OffWithEffect', parameters: { EffectIdentifier: 0, EffectVariant: 0 } },
        { name: 'OnWithRecallGlobalScene' },
        { name: 'Toggle' },
        { name: 'ReadState', parameters: { propertiesToRead: ['OnOff', 'Nope'] } },
      ]),
    );
    const cap = r.payload.endpoints[0].capabilities[0];
    expect(cap.actions.map((a: any) => [a.name, a.responseCode, a.errors?.[0]?.code])).toEqual([
      ['On', 200, undefined],
      ['ReadState', 200, undefined],
      ['Off', 200, undefined],
      ['Blink', 404, 'ACTION_NOT_FOUND'],
      ['UpdateState', 400, 'INVALID_VALUE'],
      ['OffWithEffect', 500, 'CALLBACK_FAILED'],
      ['OnWithRecallGlobalScene', 500, 'CALLBACK_TIMEOUT'],
      ['Toggle', 200, undefined],
      ['ReadState', 404, 'PROPERTY_NOT_FOUND'],
    ]);
    // ReadState results collect in order: true after On, then true after Toggle (Off then Toggle).
    expect(cap.properties).toEqual([
      { name: 'OnOff', value: true },
      { name: 'OnOff', value: true },
    ]);
    expect(light.calls).toEqual(['on', 'off', 'toggle']);
    expect(light.onTime).toBe(0);
    for (const a of cap.actions) for (const e of a.errors ?? []) expect(e.code).toMatch(/^[A-Za-z0-9_]{1,64}$/);
  });

  it('validates typed command parameters before any callback runs (400) and passes typed values', async () => {
    const r = await send(
      seedRequest({ id: 'matter.OnOff@1.4' }, [
        { name: 'OnWithTimedOff', parameters: { OnOffControl: 2, OnTime: 10, OffWaitTime: 0 } },
        { name: 'OnWithTimedOff', parameters: { OnOffControl: 1, OnTime: 10 } },
        { name: 'OnWithTimedOff', parameters: { OnOffControl: 1, OnTime: '10', OffWaitTime: 0 } },
        { name: 'OnWithTimedOff', parameters: { OnOffControl: 1, OnTime: 10, OffWaitTime: 0, Extra: 1 } },
        { name: 'OnWithTimedOff', parameters: { OnOffControl: 1, OnTime: 10, OffWaitTime: 0 } },
      ]),
    );
    const actions = r.payload.endpoints[0].capabilities[0].actions;
    expect(actions.map((a: any) => a.responseCode)).toEqual([400, 400, 400, 400, 200]);
    expect(actions[0].errors[0].message).toMatch(/OnOffControl.*mask 0x1/);
    expect(actions[1].errors[0].message).toMatch(/OffWaitTime: missing mandatory field/);
    expect(light.calls).toEqual(['onWithTimedOff {"onOffControl":1,"onTime":10,"offWaitTime":0}']);
  });

  it('answers 404 for unknown endpoint, capability and property; 405 for read-only; 501 without callback', async () => {
    const r = await send({
      payload: {
        traceId: 't-404',
        endpoints: [
          { id: '9', capabilities: [{ id: 'matter.OnOff@1.4', actions: [{ name: 'On' }] }] },
          {
            id: '1',
            capabilities: [
              { id: 'matter.ColorControl@1.4', actions: [{ name: 'ReadState' }] },
              { id: 'matter.OnOff@1.4', actions: [{ name: 'UpdateState', parameters: { Bogus: 1 } }, { name: 'UpdateState', parameters: { OnOff: true } }] },
              { id: 'matter.OnOff@1.4', actions: [{ name: 'UpdateState', parameters: { OffWaitTime: 3 } }, { name: 'ReadState', parameters: { propertiesToRead: ['StartUpOnOff'] } }] },
            ],
          },
          { id: '2', capabilities: [{ id: 'matter.FanControl@1.4', actions: [{ name: 'Step', parameters: { Direction: 0 } }] }] },
        ],
      },
    });
    const [e9, e1, e2] = r.payload.endpoints;
    expect(e9.capabilities[0].actions[0]).toMatchObject({ name: 'On', responseCode: 404, errors: [{ code: 'ENDPOINT_NOT_FOUND' }] });
    expect(e1.capabilities[0].actions[0]).toMatchObject({ responseCode: 404, errors: [{ code: 'CAPABILITY_NOT_FOUND' }] });
    expect(e1.capabilities[1].actions[0]).toMatchObject({ responseCode: 404, errors: [{ code: 'PROPERTY_NOT_FOUND' }] });
    expect(e1.capabilities[1].actions[1]).toMatchObject({ responseCode: 405, errors: [{ code: 'PROPERTY_NOT_WRITABLE' }] });
    expect(e1.capabilities[2].actions[0]).toMatchObject({ responseCode: 501, errors: [{ code: 'NOT_IMPLEMENTED' }] });
    expect(e1.capabilities[2].actions[1]).toMatchObject({ responseCode: 501, errors: [{ code: 'NOT_IMPLEMENTED' }] });
    expect(e2.capabilities[0].actions[0]).toMatchObject({ name: 'Step', responseCode: 501 });
  });

  it('lets a callback choose its status with ActionError', async () => {
    const r = await send(seedRequest({ id: 'matter.LevelControl@1.4' }, [{ name: 'UpdateState', parameters: { Options: 1 } }]));
    expect(r.payload.endpoints[0].capabilities[0].actions[0]).toEqual({
      name: 'UpdateState',
      responseCode: 409,
      errors: [{ code: 'OPTIONS_LOCKED', message: 'options are locked by the installer' }],
    });
  });

  it('checks every value of an UpdateState before any setter runs', async () => {
    const r = await send(seedRequest({ id: 'matter.LevelControl@1.4' }, [{ name: 'UpdateState', parameters: { OnLevel: 5, DefaultMoveRate: 256 } }]));
    expect(r.payload.endpoints[0].capabilities[0].actions[0]).toMatchObject({ responseCode: 400, errors: [{ code: 'INVALID_VALUE' }] });
    expect(light.calls).toEqual([]);
    const ok = await send(seedRequest({ id: 'matter.LevelControl@1.4' }, [{ name: 'UpdateState', parameters: { OnLevel: null } }]));
    expect(ok.payload.endpoints[0].capabilities[0].actions[0].responseCode).toBe(200);
    expect(light.calls).toEqual(['setOnLevel null']);
  });

  it('returns a typed command response', async () => {
    const r = await send(seedRequest({ id: 'matter.CameraAvStreamManagement@1.4' }, [{ name: 'VideoStreamAllocate', parameters: { StreamUsage: 2, MinFrameRate: 15, MaxFrameRate: 30 } }]));
    expect(r.payload.endpoints[0].capabilities[0].actions[0]).toEqual({ name: 'VideoStreamAllocate', responseCode: 200, parameters: { VideoStreamID: 9 } });
  });

  it('measures string limits in UTF-8 bytes and checks octets, lists and structs', async () => {
    const cases: [unknown, number][] = [
      [{ Label: 'abcdefgh' }, 200],
      [{ Label: 'abcdefghi' }, 400],
      [{ Label: 'ééééé' }, 400], // 5 characters, 10 bytes
      [{ Label: '😀😀' }, 200], // 2 code points, 4 UTF-16 units, 8 bytes
      [{ Label: '😀😀a' }, 400],
      [{ Blob: 'AQIDBA==' }, 200],
      [{ Blob: 'AQIDBAU=' }, 400],
      [{ Blob: 'not base64!' }, 400],
      [{ Tags: ['a', 'bb'] }, 200],
      [{ Tags: ['a', 'b', 'c', 'd'] }, 400],
      [{ Tags: ['abcde'] }, 400],
      [{ Tags: [null] }, 400],
      [{ Point: { X: 1, Y: null } }, 200],
      [{ Point: { Y: 2 } }, 400],
      [{ Point: { X: -1 } }, 400],
      [{ Point: { X: 1, Z: 0 } }, 400],
      [{ Ratio: 1e39 }, 400],
      [{ Ratio: 0.25 }, 200],
    ];
    const r = await send(seedRequest({ id: 'custom.Labels@1.0' }, cases.map(([parameters]) => ({ name: 'UpdateState', parameters }))));
    expect(r.payload.endpoints[0].capabilities[0].actions.map((a: any) => a.responseCode)).toEqual(cases.map(([, code]) => code));
    const read = await send(seedRequest({ id: 'custom.Labels@1.0' }, [{ name: 'ReadState', parameters: { propertiesToRead: ['Label', 'Blob', 'Point'] } }, { name: 'Describe', parameters: { Text: 'hi' } }]));
    const cap = read.payload.endpoints[0].capabilities[0];
    expect(cap.properties).toEqual([
      { name: 'Label', value: '😀😀' },
      { name: 'Blob', value: 'AQIDBA==' },
      { name: 'Point', value: { X: 1, Y: null } },
    ]);
    expect(cap.actions[1]).toEqual({ name: 'Describe', responseCode: 200, parameters: { Length: 2, Echo: 'hi' } });
  });
});

describe('Matter form (device-protocol.md 4.1b)', () => {
  it('runs commands and attribute writes by hex id and answers in Matter form', async () => {
    light.on = false;
    const r = await send({ payload: { traceId: 't-42', managedThingId: 'mt-1', endpoints: [{ id: '1', clusters: [{ id: '0x0006', commands: { '0x02': {} }, attributes: { '0x4001': 5 } }] }] } });
    expect(r.payload.traceId).toBe('t-42');
    expect(r.payload.endpoints).toEqual([{ id: '1', clusters: [{ id: '0x0006', commands: [{ '0x02': { responseCode: 200 } }, { '0xff01': { responseCode: 200 } }] }] }]);
    expect(light.on).toBe(true);
    expect(light.onTime).toBe(5);
  });

  it('accepts the guide UpdateState/ReadState pseudo commands (0xff01/0xff02) with string values', async () => {
    const r = await send({
      payload: {
        traceId: 't-43',
        endpoints: [
          {
            id: '1',
            clusters: [{ id: '0x0008', commands: [{ '0xff01': [{ '0x0011': '3' }] }, { '0xff02': {} }, { '0x00': { '0x00': 10, '0x01': null, '0x02': 0, '0x03': 0 } }] }],
          },
        ],
      },
    });
    const c = r.payload.endpoints[0].clusters[0];
    expect(c.commands).toEqual([{ '0xff01': { responseCode: 200 } }, { '0xff02': { responseCode: 200 } }, { '0x00': { responseCode: 501, errors: [{ code: 'NOT_IMPLEMENTED', message: 'no callback for MoveToLevel' }] } }]);
    expect(c.attributes).toEqual([{ '0x0000': 100 }, { '0x0011': 3 }]);
    expect(light.onLevel).toBe(3);
  });

  it('answers 404 for an unknown cluster and 400 for a malformed one', async () => {
    const r = await send({ payload: { endpoints: [{ id: '1', clusters: [{ id: '0x0300', commands: { '0x00': {} } }, { id: 'zz' }, { id: '0x0006', commands: { '0x99': {} } }] }] } });
    const [a, b, c] = r.payload.endpoints[0].clusters;
    expect(a).toMatchObject({ id: '0x0300', responseCode: 404, errors: [{ code: 'CLUSTER_NOT_FOUND' }] });
    expect(b).toMatchObject({ responseCode: 400 });
    expect(c.commands[0]['0x99']).toMatchObject({ responseCode: 404, errors: [{ code: 'ACTION_NOT_FOUND' }] });
  });
});

describe('malformed input', () => {
  it('drops non-JSON and oversized messages with a counter and a log line, and keeps serving', async () => {
    const before = mqtt.on(RESPONSE).length;
    mqtt.inject(CONTROL, '{"payload": ');
    mqtt.inject(CONTROL, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    mqtt.inject(CONTROL, '{"payload":{"traceId":"' + 'x'.repeat(140_000) + '"}}');
    await sleep(5);
    expect(mqtt.on(RESPONSE).length).toBe(before);
    expect(handler.counters.droppedMalformed).toBe(2);
    expect(handler.counters.droppedOversized).toBe(1);
    expect(platform.log.has(/not UTF-8 JSON/)).toBe(true);
    expect(platform.log.has(/140\d{3}-byte command/)).toBe(true);
    const r = await send(seedRequest({ id: 'aws.OnOff' }, [{ name: 'ReadState', parameters: { propertiesToRead: ['OnOff'] } }], 'after'));
    expect(r.payload.traceId).toBe('after');
  });

  it('answers JSON that is not a request with a request-level 400', async () => {
    for (const body of ['42', 'null', '[]', '{"payload":{"endpoints":{}}}', '{"payload":{"traceId":"q","endpoints":[7,{"id":{}}]}}']) {
      const r = await send(body);
      expect(r.payload.commandReceivedAt).toMatch(/^\d+\.\d{3}$/);
      const p = r.payload;
      if (p.endpoints) for (const e of p.endpoints) expect(e.responseCode).toBe(400);
      else expect(p.responseCode).toBe(400);
    }
  });

  it('answers 503 when the command queue is full, and serves the rest in order', async () => {
    const small = new DataModelHandler(testPlatform(), { commandQueueSize: 1, callbackTimeoutMs: 1000 });
    const ep = small.addEndpoint('1', 'L', ['Light']);
    const order: string[] = [];
    registerCluster(ep, OnOff, { off: async (_r: object) => { await sleep(20); order.push('off'); }, on: () => void order.push('on') });
    const req = (name: string, traceId: string) => text.encode(JSON.stringify(seedRequest({ id: 'matter.OnOff@1.4' }, [{ name }], traceId)));
    const results = await Promise.all([small.handleMessage(req('Off', 'a')), small.handleMessage(req('On', 'b')), small.handleMessage(req('On', 'c'))]);
    const decoded = results.map((b) => JSON.parse(text.decode(b!)).payload);
    expect(decoded.map((p) => p.traceId)).toEqual(['a', 'b', 'c']);
    expect(decoded[2]).toMatchObject({ responseCode: 503, errors: [{ code: 'BUSY' }] });
    expect(decoded[1].endpoints[0].capabilities[0].actions[0].responseCode).toBe(200);
    expect(order).toEqual(['off', 'on']);
    expect(small.counters.rejectedBusy).toBe(1);
    await small.close();
  });
});

describe('callback timeouts', () => {
  it('are configurable per callback', async () => {
    const h = new DataModelHandler(testPlatform(), { callbackTimeoutMs: 60_000, callbackTimeouts: { 'OnOff.on': 10 } });
    registerCluster(h.addEndpoint('1', 'L', ['Light']), OnOff, { on: () => new Promise(() => undefined), off: async () => sleep(30) });
    const started = Date.now();
    const bytes = await h.handleMessage(text.encode(JSON.stringify(seedRequest({ id: 'matter.OnOff@1.4' }, [{ name: 'On' }, { name: 'Off' }]))));
    const actions = JSON.parse(text.decode(bytes!)).payload.endpoints[0].capabilities[0].actions;
    expect(actions).toEqual([
      { name: 'On', responseCode: 500, errors: [{ code: 'CALLBACK_TIMEOUT', message: 'OnOff.on timed out after 10 ms' }] },
      { name: 'Off', responseCode: 200 },
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
    await h.close();
  });
});
