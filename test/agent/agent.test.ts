import { describe, it, expect } from 'vitest';
import { createAgent, initDefaultConfig, AGENT_DEFAULTS, AgentStateError, registerCluster, type AgentComponent } from '../../modules/agent/index.js';
import type { Platform } from '../../platform/pal/index.js';
import type { MqttConnectOptions } from '../../modules/mqtt/types.js';
import { MemoryMqtt, testPlatform } from '../datamodel/support.js';
import { OnOff } from '../datamodel/fixtures.js';

function platform(): Platform {
  return testPlatform() as unknown as Platform;
}

describe('createAgent', () => {
  it('fills defaults like iotmiDev_Agent_initDefaultConfig and keeps overrides', () => {
    const p = platform();
    const c = initDefaultConfig({ platform: p, reportWindowMs: 10, mqttConfig: { offlineQueueSize: 5 } });
    expect(c.reportWindowMs).toBe(10);
    expect(c.callbackTimeoutMs).toBe(5000);
    expect(c.maxEndpoints).toBe(40);
    expect(c.maxCapabilitiesPerEndpoint).toBe(50);
    expect(c.maxMessageBytes).toBe(131_072);
    expect(c.eventQueueSize).toBe(64);
    expect(c.commandQueueSize).toBe(8);
    expect(c.nodeId).toBe('1');
    expect(c.mqttConfig).toEqual({ ...AGENT_DEFAULTS.mqttConfig, offlineQueueSize: 5 });
    expect(() => createAgent({ platform: p, eventQueueSize: 0 })).toThrow(/eventQueueSize to be a positive integer/);
    expect(() => createAgent({} as never)).toThrow(/no platform/);
  });

  it('starts through the provisioner seam, subscribes, reports capabilities, starts components; stop and close undo it', async () => {
    const mqtt = new MemoryMqtt();
    mqtt.connected = false;
    const connects: unknown[] = [];
    mqtt.connect = async (options?: MqttConnectOptions) => {
      connects.push(options);
      mqtt.goOnline();
      return { sessionPresent: false };
    };
    const log: string[] = [];
    const component: AgentComponent = {
      name: 'jobs',
      start: async (ctx) => void log.push(`start ${ctx.thingName} ${ctx.clientId}`),
      stop: async () => void log.push('stop'),
      close: async () => void log.push('close'),
    };
    const agent = createAgent({
      platform: platform(),
      mqtt,
      endpoint: { host: 'mi.example', port: 8883 },
      provisioner: { ensureProvisioned: async () => ({ thingName: 'thing-9', clientId: 'cn_sn', managedThingId: 'mt-9' }) },
      components: [component],
    });
    registerCluster(agent.addEndpoint(1, 'Light', ['Light']), OnOff, { getOnOff: () => true });
    await agent.start();
    expect(agent.state).toBe('running');
    expect(agent.thingName).toBe('thing-9');
    expect(connects).toEqual([{ host: 'mi.example', port: 8883, clientId: 'cn_sn', tls: { caLabel: 'Root Cert', certificateLabel: 'Device Cert', privateKeyLabel: 'Device Key' } }]);
    expect([...mqtt.subscriptions.keys()]).toEqual(['south/thing-9/control', 'south/thing-9/setup']);
    expect(mqtt.on('north/thing-9/setup/capabilities')).toHaveLength(1);
    expect(log).toEqual(['start thing-9 cn_sn']);
    await agent.stop();
    expect(agent.state).toBe('stopped');
    expect(mqtt.subscriptions.size).toBe(0);
    expect(mqtt.connected).toBe(false);
    await agent.close();
    expect(agent.state).toBe('closed');
    expect(log).toEqual(['start thing-9 cn_sn', 'stop', 'close']);
    expect(agent.dataModel.endpoints).toHaveLength(0);
    expect(() => agent.addEndpoint('2', 'x', ['Light'])).toThrow(AgentStateError);
    await expect(agent.start()).rejects.toThrow(/start\(\) while closed/);
  });

  it('uses a connection the provisioner left open, and needs an identity', async () => {
    const mqtt = new MemoryMqtt();
    let connects = 0;
    mqtt.connect = async () => {
      connects++;
      return { sessionPresent: false };
    };
    const agent = createAgent({ platform: platform(), mqtt, provisioner: { ensureProvisioned: async () => ({ thingName: 't1' }) } });
    await agent.start();
    expect(connects).toBe(0);
    expect(agent.clientId).toBe('t1');
    await agent.close();
    const noId = createAgent({ platform: platform(), mqtt: new MemoryMqtt() });
    await expect(noId.start()).rejects.toThrow(/thingName or a config.provisioner/);
    expect(noId.state).toBe('stopped');
  });

  it('connects without TLS only when told (tests), and reports a missing endpoint', async () => {
    const mqtt = new MemoryMqtt();
    mqtt.connected = false;
    const seen: any[] = [];
    mqtt.connect = async (o?: MqttConnectOptions) => {
      seen.push(o);
      mqtt.goOnline();
      return { sessionPresent: false };
    };
    const a = createAgent({ platform: platform(), mqtt, thingName: 't2', endpoint: { host: 'h', port: 1883 }, tls: false, connect: { keepAliveSeconds: 30 } });
    await a.start();
    expect(seen[0]).toEqual({ keepAliveSeconds: 30, host: 'h', port: 1883, clientId: 't2' });
    await a.close();
    const m2 = new MemoryMqtt();
    m2.connected = false;
    const b = createAgent({ platform: platform(), mqtt: m2, thingName: 't3' });
    await expect(b.start()).rejects.toThrow(/config.endpoint/);
  });
});
