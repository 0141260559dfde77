// The device build's own output in XS: the runner builds `npm run build:moddable` into
// build/moddable-lane, and this file imports that ES module bundle (with the shims and the npm
// dependencies already inside it); only the Moddable modules it imports resolve to the lane fakes.
// So the module format, the export names and the shim order mcconfig gets are what runs here.
import { scenario } from '../harness.js';
// @ts-ignore -- generated JavaScript without declarations
import main, { boot } from '../../../build/moddable-lane/main.js';
import { resetDevice } from '../fakes/esp-bootloader.js';
import { preferenceFake } from '../fakes/preference.js';
import { power } from '../fakes/power-loss.js';
import { resourceFake } from '../fakes/Resource.js';
import { wifiFake } from '../fakes/embedded-network-interface-wifi.js';
import config from '../fakes/mc-config.js';
import { laneClaimCertDer, laneClaimKeyPkcs8, laneRootCaDer } from '../fixtures/credentials.js';

scenario('build/moddable main.js: default export runs, boot imports credentials', async (t) => {
  resetDevice();
  preferenceFake.erase();
  power.reboot();
  wifiFake.reset();
  config.mqttEndpoint = '';
  resourceFake.files = new Map([
    ['root-ca.der', laneRootCaDer],
    ['claim-cert.der', laneClaimCertDer],
    ['claim-key.der', laneClaimKeyPkcs8],
  ]);
  t.equal(typeof main, 'function', 'main.js default-exports the function Moddable runs');
  t.equal(typeof (globalThis as { crypto?: { getRandomValues?: unknown } }).crypto?.getRandomValues, 'function', 'crypto.getRandomValues is there for noble');
  const summary = (await t.measure('boot() from the built bundle', () => boot())) as { imported: { label: string }[]; bootState: { running: string } };
  t.equal(summary.imported.map((c) => c.label), ['Root Cert', 'Claim Cert', 'Claim Key'], 'credentials imported');
  t.equal(summary.bootState.running, 'A', 'boot state read through the FFI');
  t.equal(preferenceFake.entries('mi.ks').size >= 3, true, 'key store records in NVS');
});
