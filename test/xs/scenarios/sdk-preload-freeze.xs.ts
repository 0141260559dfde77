// The whole SDK after an emulated preload link step (see the function's comment): the precondition
// for listing the SDK bundle in manifest.json's "preload", which would move its ~25,000 slots of
// functions and classes from RAM to flash.
import { scenario } from '../harness.js';
import * as agent from '../../../modules/agent/index.js';
import * as mqtt from '../../../modules/mqtt/index.js';
import * as datamodel from '../../../modules/datamodel/index.js';
import * as provisionee from '../../../modules/provisionee/index.js';
import * as jobs from '../../../modules/jobs/index.js';
import * as ota from '../../../modules/ota/index.js';
import * as keystore from '../../../modules/keystore/index.js';
import * as platformModule from '../../../platform/moddable/index.js';
import { createModdablePlatform } from '../../../platform/moddable/index.js';
import { resetDevice } from '../fakes/esp-bootloader.js';
import { preferenceFake } from '../fakes/preference.js';
import { power } from '../fakes/power-loss.js';
import { networkFake } from '../fakes/network.js';
import { MiniBroker } from '../fakes/mini-broker.js';
import * as fixtures from '../fixtures/credentials.js';

/**
 * An emulation of what XS's linker does after preloading (documentation/xs/preload.md): built-in
 * prototypes and every function become frozen. Module state stays mutable (XS aliases it in RAM).
 * If the SDK patched a built-in or wrote a property on a function at run time, this would throw;
 * it is the precondition for listing the SDK bundle in the manifest's "preload".
 */
function freezeLikeThePreloadLinker(roots: object[]): number {
  let frozen = 0;
  const builtins = [Object, Function, Array, String, Number, Boolean, Symbol, Error, TypeError, RangeError, SyntaxError, Promise, Map, Set, WeakMap, WeakSet, ArrayBuffer, DataView, Uint8Array, Date, RegExp, BigInt];
  const typedArray = Object.getPrototypeOf(Uint8Array) as object;
  for (const constructor of [...builtins, typedArray] as { prototype?: object }[]) {
    Object.freeze(constructor);
    if (constructor.prototype) Object.freeze(constructor.prototype);
    frozen += 2;
  }
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number) => {
    if (depth > 3 || value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
    seen.add(value);
    if (typeof value === 'function') {
      Object.freeze(value);
      frozen += 1;
      const prototype = (value as { prototype?: object }).prototype;
      if (prototype) for (const key of Object.getOwnPropertyNames(prototype)) {
        const descriptor = Object.getOwnPropertyDescriptor(prototype, key)!;
        for (const member of [descriptor.value, descriptor.get, descriptor.set]) if (typeof member === 'function') visit(member, depth + 1);
      }
    }
    for (const key of Object.keys(value as object)) visit((value as Record<string, unknown>)[key], depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return frozen;
}

scenario('after an emulated preload freeze: platform + MQTT over TLS still work', async (t) => {
  resetDevice();
  preferenceFake.erase();
  power.reboot();
  networkFake.reset();
  const frozen = freezeLikeThePreloadLinker([agent, mqtt, datamodel, provisionee, jobs, ota, keystore, platformModule]);
  t.figure('functions and built-ins frozen', frozen, 'objects');
  const platform = createModdablePlatform({ dnsServers: ['10.0.0.53'] });
  const store = new keystore.KeyStore(platform.keyStoreBackend);
  await store.putCertificate(keystore.Labels.rootCert, fixtures.laneRootCaDer);
  await store.putCertificate(keystore.Labels.deviceCert, fixtures.laneClaimCertDer);
  await store.putPrivateKey(keystore.Labels.deviceKey, fixtures.laneClaimKeyPkcs8);
  const generated = await store.generateKeyPair('Spare Key', 'EC-P256');
  t.equal(generated.id.length, 32, 'key generation works frozen');
  const broker = new MiniBroker();
  networkFake.dns.set('mqtt.lane.test', '10.0.0.20');
  networkFake.servers.set('10.0.0.20:8883', { accept: (peer) => broker.accept(peer), tls: { caDer: fixtures.laneRootCaDer, requireClientCertificate: true } });
  const client = mqtt.createMqttAgent(platform);
  await client.connect({ host: 'mqtt.lane.test', port: 8883, clientId: 'frozen-1', tls: { caLabel: keystore.Labels.rootCert, certificateLabel: keystore.Labels.deviceCert, privateKeyLabel: keystore.Labels.deviceKey } });
  let echoed = 0;
  await client.subscribe('f/#', () => {
    echoed += 1;
  }, { qos: 1 });
  for (let i = 0; i < 10; i++) await client.publish(`f/${i}`, platform.text.encode(`{"i":${i}}`), { qos: 1 });
  await t.sleep(20);
  t.equal(echoed, 10, 'publishes echoed');
  await client.disconnect();
});
