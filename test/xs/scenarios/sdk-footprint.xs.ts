// What the whole SDK costs XS when loaded the way the device loads it (not preloaded): this file's
// bundle holds every public module (agent, MQTT, data model, provisionee, jobs, OTA, key store) and
// the Moddable platform, so its row's load compute and heap are the SDK's module initialisation and
// resident code objects; the harness alone sits near 4,700 slots (harness-selfcheck rows). These
// figures size manifest.json's creation.heap.
import { scenario } from '../harness.js';
import * as agent from '../../../modules/agent/index.js';
import * as mqtt from '../../../modules/mqtt/index.js';
import * as datamodel from '../../../modules/datamodel/index.js';
import * as provisionee from '../../../modules/provisionee/index.js';
import * as jobs from '../../../modules/jobs/index.js';
import * as ota from '../../../modules/ota/index.js';
import * as keystore from '../../../modules/keystore/index.js';
import { createModdablePlatform } from '../../../platform/moddable/index.js';
import { resetDevice } from '../fakes/esp-bootloader.js';
import { preferenceFake } from '../fakes/preference.js';
import { power } from '../fakes/power-loss.js';

scenario('whole SDK loaded: platform + agent created (not started)', async (t) => {
  const surfaces = { agent, mqtt, datamodel, provisionee, jobs, ota, keystore };
  let exports = 0;
  for (const surface of Object.values(surfaces)) exports += Object.keys(surface).length;
  t.figure('public exports loaded', exports, 'exports');
  resetDevice();
  preferenceFake.erase();
  power.reboot();
  const created = await t.measure('createModdablePlatform + createAgent', () => {
    const platform = createModdablePlatform({ dnsServers: ['10.0.0.53'] });
    return agent.createAgent({ platform, endpoint: { host: 'mqtt.lane.test', port: 8883 }, thingName: 'lane-thing' });
  });
  t.assert(created instanceof agent.Agent, 'an Agent');
});

