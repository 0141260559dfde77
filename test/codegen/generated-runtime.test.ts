/**
 * The committed generated modules against the real data-model runtime: typed handlers registered with
 * register<Cluster> are called by the dispatcher, report<Attribute>/emit<Event> publish, and the
 * metadata's constraints reject out-of-range values.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DataModelHandler } from '../../modules/datamodel/index.js';
import { MemoryMqtt, testPlatform } from '../datamodel/support.js';
import * as Lighting from '../fixtures/generated/lighting/index.js';
import { registerOnOff, reportOnOff, OnOffCluster, StartUpOnOffEnum, type OnWithTimedOffRequest } from '../fixtures/generated/lighting/on-off.js';
import { registerLevelControl, reportCurrentLevel, LevelControlCluster } from '../fixtures/generated/lighting/level-control.js';
import { registerSimpleLighting, emitOverheated, SimpleLightingCluster } from '../../examples/simple-light/generated/simple-lighting.js';

const THING = 'lamp1';
const CONTROL = `south/${THING}/control`;
const RESPONSE = `north/${THING}/control/response`;
const STATE = `north/${THING}/state`;
const EVENTS = `north/${THING}/events`;

const handlers: DataModelHandler[] = [];
afterEach(async () => {
  for (const h of handlers.splice(0)) await h.close();
});

function request(capability: string, actions: object[]) {
  return { payload: { traceId: 't-1', managedThingId: 'mt-1', Endpoints: [{ endpointId: '1', capabilities: [{ id: capability, actions }] }] } };
}

describe('generated modules on the data-model runtime', () => {
  it('dispatches commands and property writes to typed handlers, reports and emits', async () => {
    const platform = testPlatform();
    const mqtt = new MemoryMqtt();
    const handler = new DataModelHandler(platform, { managedThingId: 'mt-1', reportWindowMs: 20 });
    handlers.push(handler);
    await handler.load();
    const lamp = { on: false, onTime: 0, level: 7 as number | null, calls: [] as string[] };
    const ep = handler.addEndpoint('1', 'Lamp', ['DimmableLight']);
    registerOnOff(ep, {
      getOnOff: (ctx) => ctx.on,
      getOnTime: (ctx) => ctx.onTime,
      setOnTime: (value, ctx) => void (ctx.onTime = value),
      toggle: (_request, ctx) => void (ctx.on = !ctx.on),
      onWithTimedOff: (r: OnWithTimedOffRequest, ctx) => void ctx.calls.push(`timed ${r.onOffControl} ${r.onTime} ${r.offWaitTime}`),
      getStartUpOnOff: () => StartUpOnOffEnum.Toggle,
    }, lamp);
    registerLevelControl(ep, { getCurrentLevel: (ctx) => ctx.level }, lamp);
    registerSimpleLighting(ep, {
      setBrightnessCommand: (r) => ({ applied: Math.min(r.level, 200) }),
    });
    await handler.attach(mqtt, THING);

    const send = async (body: object) => {
      const next = mqtt.nextOn(RESPONSE);
      mqtt.inject(CONTROL, JSON.stringify(body));
      return (await next).json.payload.endpoints[0].capabilities[0];
    };

    const toggled = await send(request(OnOffCluster.capabilityId, [{ name: 'Toggle' }]));
    expect(toggled.actions[0].responseCode).toBe(200);
    expect(lamp.on).toBe(true);

    await send(request('matter.OnOff@6', [{ name: 'OnWithTimedOff', parameters: { OnOffControl: 1, OnTime: 30, OffWaitTime: 5 } }]));
    expect(lamp.calls).toEqual(['timed 1 30 5']);

    const written = await send(request('matter.OnOff@6', [{ name: 'UpdateState', parameters: { OnTime: 9 } }]));
    expect(written.actions[0].responseCode).toBe(200);
    expect(lamp.onTime).toBe(9);

    // int16u OnTime: the metadata's range (from the Matter type) rejects 70000 before the setter runs.
    const tooBig = await send(request('matter.OnOff@6', [{ name: 'UpdateState', parameters: { OnTime: 70000 } }]));
    expect(tooBig.actions[0].responseCode).toBe(400);
    expect(lamp.onTime).toBe(9);

    const read = await send(request('matter.OnOff@6', [{ name: 'ReadState', parameters: { propertiesToRead: ['OnOff', 'StartUpOnOff'] } }]));
    expect(read.properties).toEqual([{ name: 'OnOff', value: true }, { name: 'StartUpOnOff', value: 2 }]);

    const custom = await send(request('custom.SimpleLighting@1.0', [{ name: 'SetBrightness', parameters: { Level: 250, TransitionMs: 0 } }]));
    expect(custom.actions[0].responseCode).toBe(200);
    expect(JSON.stringify(custom)).toContain('"Applied":200');
    // Brightness level is 0..254 in the schema.
    const badLevel = await send(request('custom.SimpleLighting@1.0', [{ name: 'SetBrightness', parameters: { Level: 255, TransitionMs: 0 } }]));
    expect(badLevel.actions[0].responseCode).toBe(400);

    const state = mqtt.nextOn(STATE);
    reportOnOff(ep, false);
    reportCurrentLevel(ep, 254);
    const props = (await state).json.payload.endpoints[0].capabilities.flatMap((c: { properties: object[] }) => c.properties);
    expect(props).toEqual([expect.objectContaining({ name: 'OnOff', value: false }), expect.objectContaining({ name: 'CurrentLevel', value: 254 })]);
    // nullable int8u CurrentLevel: 255 is the null sentinel, so the largest value is 254
    expect(() => reportCurrentLevel(ep, 255)).toThrow(/0\.\.254/);
    expect(() => reportCurrentLevel(ep, null)).not.toThrow();

    const event = mqtt.nextOn(EVENTS);
    emitOverheated(ep, { temperature: 91.5 }, { immediate: true });
    expect(JSON.stringify((await event).json)).toContain('Overheated');
  });

  it('exposes every cluster and the shared helpers from the generated index', () => {
    expect(Lighting.OnOff.OnOffCluster).toBe(OnOffCluster);
    expect(Lighting.LevelControl.LevelControlCluster).toBe(LevelControlCluster);
    expect(SimpleLightingCluster.capabilityId).toBe('custom.SimpleLighting@1.0');
    expect(Lighting.bitNames(Lighting.OnOff.Feature, 0b101)).toEqual(['Lighting', 'OffOnly']);
    expect(Lighting.hasBits(2 ** 40 + 1, 2 ** 40)).toBe(true);
    expect(Lighting.enumName(Lighting.OnOff.StartUpOnOffEnum, 2)).toBe('Toggle');
    expect(Lighting.enumName(Lighting.OnOff.StartUpOnOffEnum, 9)).toBeUndefined();
    expect(Lighting.setBits(2 ** 31, 1)).toBe(2 ** 31 + 1);
    expect(Lighting.clearBits(2 ** 52 + 2 ** 31 + 4, 2 ** 31)).toBe(2 ** 52 + 4);
  });
});
