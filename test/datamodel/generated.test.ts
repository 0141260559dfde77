/**
 * The runtime with the modules mi-codegen generated from lighting-app.matter and
 * air-purifier-app.matter: registration through the generated register/report functions, typed
 * handlers, the seed's requests, and the global attributes the runtime answers itself.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { DataModelHandler } from '../../modules/datamodel/index.js';
import { OnOff, LevelControl } from '../fixtures/generated/lighting/index.js';
import { registerFanControl, reportPercentCurrent, FanControlCluster, FanModeEnum, type FanControlHandlers } from '../../examples/air-purifier/generated/fan-control.js';
import { MemoryMqtt, testPlatform, text } from './support.js';

const handlers: DataModelHandler[] = [];
afterEach(async () => {
  for (const h of handlers.splice(0)) await h.close();
});

async function ask(h: DataModelHandler, request: unknown): Promise<any> {
  return JSON.parse(text.decode((await h.handleMessage(text.encode(JSON.stringify(request))))!)).payload;
}

describe('generated cluster modules', () => {
  it('OnOff and LevelControl from lighting-app.matter: typed handlers, context, seed requests', async () => {
    const h = new DataModelHandler(testPlatform());
    handlers.push(h);
    const state = { on: false, onTime: 0, level: 10, moves: [] as OnOff.OnWithTimedOffRequest[] };
    const ep = h.addEndpoint('1', 'Light', ['Light']);
    OnOff.registerOnOff(
      ep,
      {
        getOnOff: (s) => s.on,
        getOnTime: (s) => s.onTime,
        setOnTime: (v, s) => void (s.onTime = v),
        on: (_r, s) => void (s.on = true),
        onWithTimedOff: (r, s) => void s.moves.push(r),
      },
      state,
    );
    const levelHandlers: LevelControl.LevelControlHandlers<typeof state> = {
      getCurrentLevel: (s) => s.level,
      moveToLevel: (r, s) => void (s.level = r.level),
    };
    LevelControl.registerLevelControl(ep, levelHandlers, state);
    const p = await ask(h, {
      payload: {
        traceId: 't',
        endpoints: [
          {
            id: '1',
            capabilities: [
              { id: 'matter.OnOff@1.4', actions: [{ name: 'On' }, { name: 'UpdateState', parameters: { OnTime: 5 } }, { name: 'OnWithTimedOff', parameters: { OnOffControl: 1, OnTime: 3, OffWaitTime: 4 } }, { name: 'ReadState', parameters: { propertiesToRead: ['*'] } }] },
              { id: 'matter.LevelControl@1.4', actions: [{ name: 'MoveToLevel', parameters: { Level: 200, TransitionTime: null, OptionsMask: 0, OptionsOverride: 0 } }, { name: 'ReadState', parameters: { propertiesToRead: ['CurrentLevel', 'ClusterRevision', 'AcceptedCommandList'] } }] },
            ],
          },
        ],
      },
    });
    const [onOff, level] = p.endpoints[0].capabilities;
    expect(onOff.actions.map((a: any) => a.responseCode)).toEqual([200, 200, 200, 200]);
    expect(onOff.properties).toEqual([
      { name: 'OnOff', value: true },
      { name: 'OnTime', value: 5 },
      { name: 'GeneratedCommandList', value: [] },
      { name: 'AcceptedCommandList', value: [0x01, 0x42] },
      { name: 'AttributeList', value: [0x0000, 0x4001, 0xfff8, 0xfff9, 0xfffb, 0xfffc, 0xfffd] },
      { name: 'ClusterRevision', value: 6 },
    ]);
    expect(state.moves).toEqual([{ onOffControl: 1, onTime: 3, offWaitTime: 4 }]);
    expect(level.actions.map((a: any) => a.responseCode)).toEqual([200, 200]);
    expect(level.properties).toEqual([
      { name: 'CurrentLevel', value: 200 },
      { name: 'ClusterRevision', value: 6 },
      { name: 'AcceptedCommandList', value: [0x00] },
    ]);
    // Reports through the generated wrapper check the generated type.
    expect(() => OnOff.reportOnTime(ep, 70000)).toThrow(/int16u/);
    // The capability report leaves the global attributes out.
    expect(h.capabilityReport().endpoints[0]!.capabilities[0]).toEqual({
      id: 'matter.OnOff@6',
      name: 'OnOff',
      version: '6',
      properties: ['OnOff', 'OnTime'],
      actions: ['On', 'OnWithTimedOff'],
      events: [],
    });
  });

  it('FanControl from air-purifier-app.matter: enum and percent validation, reports', async () => {
    const platform = testPlatform();
    const h = new DataModelHandler(platform, { reportWindowMs: 5 });
    handlers.push(h);
    const mqtt = new MemoryMqtt();
    const fan = { mode: FanModeEnum.Off as number, percent: 0 };
    const fanHandlers: FanControlHandlers<typeof fan> = {
      getFanMode: (f) => f.mode as never,
      setFanMode: (v, f) => void (f.mode = v),
      getPercentSetting: (f) => f.percent,
      setPercentSetting: (v, f) => void (f.percent = v ?? 0),
      step: (r, f) => void (f.percent = Math.min(100, f.percent + (r.direction === 0 ? 10 : -10))),
    };
    const ep = h.addEndpoint('1', 'Air Purifier', ['Air Purifier']);
    registerFanControl(ep, fanHandlers, fan);
    await h.attach(mqtt, 'ap1');
    const p = await ask(h, {
      payload: {
        endpoints: [
          {
            id: '1',
            clusters: [{ id: '0x0202', commands: [{ '0xff01': [{ '0x0000': '3' }] }, { '0x00': { '0x00': 0, '0x01': true } }, { '0xff01': { '0x0002': 101 } }] }],
          },
        ],
      },
    });
    expect(p.endpoints[0].clusters[0].commands.map((c: any) => Object.entries(c).map(([k, v]: [string, any]) => [k, v.responseCode])[0])).toEqual([
      ['0xff01', 200],
      ['0x00', 200],
      ['0xff01', 400],
    ]);
    expect(fan).toEqual({ mode: 3, percent: 10 });
    const state = mqtt.nextOn('north/ap1/state');
    reportPercentCurrent(ep, 10);
    const msg = (await state).json;
    expect(msg.payload.endpoints[0].capabilities[0]).toMatchObject({ id: FanControlCluster.capabilityId, properties: [{ name: 'PercentCurrent', value: 10 }] });
  });
});
