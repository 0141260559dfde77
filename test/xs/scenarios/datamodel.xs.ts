// The data-model handler inside XS: commands (capability and Matter form) dispatched to the generated
// OnOff (lighting-app.matter) and FanControl (air-purifier-app.matter) handlers, responses checked,
// then compute per command and the heap over 1,000 commands measured (two batches of 1,000: the
// second's retained heap must equal the first's — see the report's heap columns).
import { scenario } from '../harness.js';
import { createLanePlatform } from '../lane-platform.js';
import { DataModelHandler } from '../../../modules/datamodel/index.js';
import { registerOnOff, reportOnOff } from '../../fixtures/generated/lighting/on-off.js';
import { registerFanControl, FanModeEnum } from '../../../examples/air-purifier/generated/fan-control.js';

interface Device {
  on: boolean;
  onTime: number;
  fanMode: number;
  percent: number;
  commands: number;
}

function setup() {
  const platform = createLanePlatform();
  const handler = new DataModelHandler(platform, { reportWindowMs: 100 });
  const device: Device = { on: false, onTime: 0, fanMode: FanModeEnum.Off, percent: 0, commands: 0 };
  const light = handler.addEndpoint('1', 'Air Purifier Light', ['Air Purifier']);
  registerOnOff(
    light,
    {
      getOnOff: (d) => d.on,
      getOnTime: (d) => d.onTime,
      setOnTime: (v, d) => void (d.onTime = v),
      on: (_r, d) => {
        d.on = true;
        d.commands++;
        reportOnOff(light, true);
      },
      toggle: (_r, d) => {
        d.on = !d.on;
        d.commands++;
        reportOnOff(light, d.on);
      },
    },
    device,
  );
  registerFanControl(
    handler.addEndpoint('2', 'Fan', ['Fan']),
    {
      getFanMode: (d) => d.fanMode as FanModeEnum,
      setFanMode: (v, d) => void (d.fanMode = v),
      getPercentSetting: (d) => d.percent,
      setPercentSetting: (v, d) => void (d.percent = v ?? 0),
      step: (r, d) => {
        d.commands++;
        d.percent = Math.max(0, Math.min(100, d.percent + (r.direction === 0 ? 10 : -10)));
      },
    },
    device,
  );
  return { platform, handler, device };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const requests = [
  { payload: { traceId: 'on', endpoints: [{ id: '1', capabilities: [{ id: 'matter.OnOff@1.4', actions: [{ name: 'On' }] }] }] } },
  { payload: { traceId: 'read', endpoints: [{ id: '1', capabilities: [{ id: 'aws.OnOff', actions: [{ name: 'ReadState', parameters: { propertiesToRead: ['*'] } }] }] }] } },
  { payload: { traceId: 'ontime', endpoints: [{ id: '1', capabilities: [{ id: 'matter.OnOff', actions: [{ name: 'UpdateState', parameters: { OnTime: 5 } }, { name: 'Toggle' }] }] }] } },
  { payload: { traceId: 'fan', endpoints: [{ id: '2', capabilities: [{ id: 'matter.FanControl@1.4', actions: [{ name: 'UpdateState', parameters: { FanMode: 3 } }, { name: 'Step', parameters: { Direction: 0, Wrap: false } }] }] }] } },
  { payload: { traceId: 'matter', endpoints: [{ id: '2', clusters: [{ id: '0x0202', commands: [{ '0xff01': [{ '0x0000': '2' }] }, { '0x00': { '0x00': 1 } }] }] }] } },
  { payload: { traceId: 'bad', endpoints: [{ id: '2', capabilities: [{ id: 'matter.FanControl@1.4', actions: [{ name: 'UpdateState', parameters: { PercentSetting: 101 } }, { name: 'Spin' }] }] }] } },
].map((r) => encoder.encode(JSON.stringify(r)));

scenario('datamodel: commands to generated OnOff and FanControl handlers, answered field by field', async (t) => {
  const { handler, device } = setup();
  await handler.load();
  const answers: any[] = [];
  for (const r of requests) answers.push(JSON.parse(decoder.decode((await handler.handleMessage(r))!)).payload);
  t.equal(answers.map((a) => a.traceId), ['on', 'read', 'ontime', 'fan', 'matter', 'bad'], 'one response per request, in order');
  for (const a of answers) t.assert(/^\d+\.\d{3}$/.test(a.commandReceivedAt) && /^\d+\.\d{3}$/.test(a.commandExecutedAt), 'times as epoch seconds with ms');
  t.equal(answers[0].endpoints[0].capabilities[0].actions, [{ name: 'On', responseCode: 200 }], 'On');
  t.equal(answers[1].endpoints[0].capabilities[0].properties.slice(0, 2), [{ name: 'OnOff', value: true }, { name: 'OnTime', value: 0 }], 'ReadState *');
  t.equal(answers[2].endpoints[0].capabilities[0].actions.map((a: any) => a.responseCode), [200, 200], 'UpdateState OnTime, Toggle');
  t.equal(answers[3].endpoints[0].capabilities[0].actions.map((a: any) => a.responseCode), [200, 200], 'FanMode, Step');
  t.equal(answers[4].endpoints[0].clusters[0].commands, [{ '0xff01': { responseCode: 200 } }, { '0x00': { responseCode: 200 } }], 'Matter form');
  t.equal(
    answers[5].endpoints[0].capabilities[0].actions.map((a: any) => [a.responseCode, a.errors?.[0]?.code]),
    [[400, 'INVALID_VALUE'], [404, 'ACTION_NOT_FOUND']],
    'bad value and unknown action',
  );
  t.equal({ on: device.on, onTime: device.onTime, fanMode: device.fanMode, percent: device.percent }, { on: false, onTime: 5, fanMode: 2, percent: 0 }, 'device state');
  const utf8 = JSON.parse(decoder.decode((await handler.handleMessage(encoder.encode('{"payload":{"traceId":"😀","endpoints":[]}}')))!)).payload;
  t.equal(utf8.traceId, '😀', 'non-ASCII trace id survives');
  t.equal(await handler.handleMessage(encoder.encode('{"payload":')), undefined, 'non-JSON dropped');
  t.equal(handler.counters.droppedMalformed, 1, 'and counted');
  await handler.close();
});

scenario('datamodel: compute per command; heap does not grow over 1,000 commands', async (t) => {
  const { handler, device } = setup();
  await handler.load();
  let ok = 0;
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const response = await handler.handleMessage(requests[i % 5]!);
      if (response && response.length > 0) ok++;
    }
  };
  await t.measure('commands × 100 (warm-up)', () => run(100));
  await t.measure('command × 1 (On → response bytes)', () => handler.handleMessage(requests[0]!));
  await t.measure('command × 1 (ReadState * → response bytes)', () => handler.handleMessage(requests[1]!));
  await t.measure('commands × 1,000 (batch 1)', () => run(1000));
  await t.measure('commands × 1,000 (batch 2: retained heap must match batch 1)', () => run(1000));
  await t.sleep(200); // the report window closes; nothing is attached, so reports stay pending, one per property
  t.equal(ok, 2100, 'every command answered');
  t.assert(device.commands >= 1600, 'callbacks ran');
  t.equal(handler.pendingProperties, 1, 'reports coalesced to one pending value per property, not one per command');
  t.figure('request bytes (On)', requests[0]!.length, 'B');
  t.figure('response bytes (On)', (await handler.handleMessage(requests[0]!))!.length, 'B');
  await handler.close();
});
