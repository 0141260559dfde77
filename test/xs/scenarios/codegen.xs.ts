// Generated cluster modules (examples/air-purifier/generated) inside XS: OnOff and FanControl handlers
// registered with the generated register functions on the real data-model handler, driven by
// capability-form commands through an in-memory MQTT client; reports go out after the report window.
import { scenario } from '../harness.js';
import { createLanePlatform } from '../lane-platform.js';
import { DataModelHandler } from '../../../modules/datamodel/index.js';
import type { ConnectionListener, InboundMessage, MessageHandler, MqttClient, MqttCounters } from '../../../modules/mqtt/types.js';
import { registerOnOff, reportOnOff, OnOffCluster } from '../../../examples/air-purifier/generated/on-off.js';
import { registerFanControl, reportPercentCurrent, FanModeEnum, StepDirectionEnum, type StepRequest } from '../../../examples/air-purifier/generated/fan-control.js';
import { hasBits, bitNames } from '../../../examples/air-purifier/generated/global-types.js';
import { RockBitmap } from '../../../examples/air-purifier/generated/fan-control.js';

const THING = 'purifier1';

/** The smallest MqttClient the handler needs: records publishes, delivers injected messages. */
class LaneMqtt implements MqttClient {
  connected = true;
  readonly counters: MqttCounters = { sent: 0, received: 0, retransmitted: 0, dropped: 0, reconnects: 0 };
  readonly published: { topic: string; json: any }[] = [];
  readonly #handlers = new Map<string, MessageHandler>();
  constructor(readonly text: { encode(s: string): Uint8Array; decode(b: Uint8Array): string }) {}
  async connect() { return { sessionPresent: false }; }
  async disconnect() { this.connected = false; }
  async publish(topic: string, payload: Uint8Array | string) {
    const body = typeof payload === 'string' ? payload : this.text.decode(payload);
    this.published.push({ topic, json: JSON.parse(body) });
    this.counters.sent++;
  }
  async subscribe(filter: string, handler: MessageHandler) { this.#handlers.set(filter, handler); }
  async unsubscribe(filter: string) { this.#handlers.delete(filter); }
  addConnectionListener(_listener: ConnectionListener) { return () => undefined; }
  inject(topic: string, body: object) {
    const message: InboundMessage = { topic, payload: this.text.encode(JSON.stringify(body)), qos: 1, retain: false, dup: false };
    for (const [filter, handler] of this.#handlers) if (filter === topic) void handler(message);
  }
}

function command(capability: string, actions: object[]) {
  return { payload: { traceId: 't', managedThingId: 'mt', Endpoints: [{ endpointId: '1', capabilities: [{ id: capability, actions }] }] } };
}

scenario('generated OnOff and FanControl handlers run on the data-model handler in XS', async (t) => {
  const platform = createLanePlatform();
  const mqtt = new LaneMqtt(platform.text);
  const handler = new DataModelHandler(platform, { managedThingId: 'mt', reportWindowMs: 100 });
  await handler.load();
  const device = { on: false, mode: FanModeEnum.Off as number, percent: 0 as number | null, steps: [] as string[] };
  const ep = await t.measure('register generated OnOff + FanControl', () => {
    const endpoint = handler.addEndpoint('1', 'Air Purifier', ['AirPurifier']);
    registerOnOff(endpoint, {
      getOnOff: (d) => d.on,
      on: (_r, d) => void (d.on = true),
      off: (_r, d) => void (d.on = false),
    }, device);
    registerFanControl(endpoint, {
      getFanMode: (d) => d.mode as FanModeEnum,
      setFanMode: (v, d) => void (d.mode = v),
      getPercentSetting: (d) => d.percent,
      setPercentSetting: (v, d) => void (d.percent = v),
      step: (r: StepRequest, d) => void d.steps.push(`${r.direction === StepDirectionEnum.Increase ? 'up' : 'down'} wrap=${r.wrap ?? false}`),
    }, device);
    return endpoint;
  });
  await handler.attach(mqtt, THING);
  const responses = () => mqtt.published.filter((p) => p.topic === `north/${THING}/control/response`);
  const lastCapability = () => responses()[responses().length - 1]!.json.payload.endpoints[0].capabilities[0];

  mqtt.inject(`south/${THING}/control`, command(OnOffCluster.capabilityId, [{ name: 'On' }]));
  await t.sleep(1);
  t.equal(device.on, true, 'On command reached the generated handler');
  t.equal(lastCapability().actions[0].responseCode, 200, 'On answered 200');

  mqtt.inject(`south/${THING}/control`, command('matter.FanControl@5', [{ name: 'UpdateState', parameters: { FanMode: FanModeEnum.High, PercentSetting: 70 } }]));
  await t.sleep(1);
  t.equal([device.mode, device.percent], [FanModeEnum.High, 70], 'setters ran with typed values');

  mqtt.inject(`south/${THING}/control`, command('matter.FanControl@5', [{ name: 'UpdateState', parameters: { PercentSetting: 101 } }]));
  await t.sleep(1);
  t.equal(lastCapability().actions[0].responseCode, 400, 'percent 101 rejected by the generated metadata (percent is 0..100)');
  t.equal(device.percent, 70, 'setter not called for an invalid value');

  mqtt.inject(`south/${THING}/control`, command('matter.FanControl@5', [{ name: 'Step', parameters: { Direction: StepDirectionEnum.Increase, Wrap: true } }]));
  await t.sleep(1);
  t.equal(device.steps, ['up wrap=true'], 'Step command with its typed request');

  mqtt.inject(`south/${THING}/control`, command('matter.OnOff@6', [{ name: 'ReadState', parameters: { propertiesToRead: ['OnOff'] } }]));
  await t.sleep(1);
  t.equal(lastCapability().properties, [{ name: 'OnOff', value: true }], 'ReadState through the generated getter');

  reportOnOff(ep, false);
  reportPercentCurrent(ep, 55);
  await t.sleep(200);
  const state = mqtt.published.filter((p) => p.topic === `north/${THING}/state`);
  t.equal(state.length, 1, 'reports coalesced into one state message');
  const props = state[0]!.json.payload.endpoints[0].capabilities.flatMap((c: { properties: { name: string; value: unknown }[] }) => c.properties.map((p) => [p.name, p.value]));
  t.equal(props, [['OnOff', false], ['PercentCurrent', 55]], 'reported properties');

  t.assert(hasBits(RockBitmap.RockLeftRight | RockBitmap.RockRound, RockBitmap.RockRound), 'bit helper');
  t.equal(bitNames(RockBitmap, 0b101), ['RockLeftRight', 'RockRound'], 'bit names');
  await handler.close();
});
