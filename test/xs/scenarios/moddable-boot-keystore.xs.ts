// The default device app (platform/moddable/main.ts) and the key store on the Moddable storage:
// first boot imports the credentials flashed as resources into the key store (NVS through the
// `preference` fake), a second boot does not import again; the key store signs with a key it
// generated, and a power cut while it stores an object leaves the old or the new object.
import { scenario } from '../harness.js';
import { boot } from '../../../platform/moddable/main.js';
import { PreferenceStorage } from '../../../platform/moddable/preference-storage.js';
import { moddableRandom } from '../../../platform/moddable/random.js';
import { createModdableText } from '../../../platform/moddable/text.js';
import { KeyStore } from '../../../modules/keystore/keystore.js';
import { SoftwareKeyStoreBackend } from '../../../modules/keystore/software-backend.js';
import { Labels } from '../../../modules/keystore/types.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2';
import { resetDevice } from '../fakes/esp-bootloader.js';
import { preferenceFake } from '../fakes/preference.js';
import { power, PowerLoss } from '../fakes/power-loss.js';
import { resourceFake } from '../fakes/Resource.js';
import { laneClaimCertDer, laneClaimKeyPkcs8, laneRootCaDer } from '../fixtures/credentials.js';
import config from '../fakes/mc-config.js';
import { wifiFake } from '../fakes/embedded-network-interface-wifi.js';
import { networkFake } from '../fakes/network.js';

function freshDevice(): void {
  resetDevice();
  wifiFake.reset();
  networkFake.reset();
  config.mqttEndpoint = '';
  preferenceFake.erase();
  power.reboot();
  resourceFake.files = new Map([
    ['root-ca.der', laneRootCaDer],
    ['claim-cert.der', laneClaimCertDer],
    ['claim-key.der', laneClaimKeyPkcs8],
  ]);
}

scenario('boot imports flashed credentials once and reports the boot state', async (t) => {
  freshDevice();
  const first = await t.measure('first boot (platform + credential import)', () => boot());
  t.equal(first.imported.map((c) => c.label), [Labels.rootCert, Labels.claimCert, Labels.claimKey], 'three credentials imported');
  t.equal(first.bootState.running, 'A', 'running slot');
  t.equal(first.agent, undefined, 'no mqttEndpoint in the config: the agent is not started');
  const keyStore = new KeyStore(first.platform.keyStoreBackend);
  t.equal(await keyStore.getCertificate(Labels.claimCert), laneClaimCertDer, 'claim certificate stored as DER');
  const claimKey = await first.platform.keyStoreBackend.privateKeyForTransport(Labels.claimKey);
  t.equal(claimKey, laneClaimKeyPkcs8, 'claim key stored as PKCS#8 for the TLS transport');
  const signature = await keyStore.sign(Labels.claimKey, 'ECDSA-SHA256', new Uint8Array([1, 2, 3]));
  t.assert(signature.length >= 8, 'the imported claim key signs');

  const second = await boot();
  t.equal(second.imported, [], 'second boot imports nothing');
  t.assert(preferenceFake.entries('mi.ks').size >= 3, 'key store records live in their own preference domain');
  t.equal(preferenceFake.entries('mi.kv').size, 0, 'the app storage domain is untouched');
});

scenario('boot with an endpoint: joins Wi-Fi from config, then the agent starts provisioning', async (t) => {
  freshDevice();
  wifiFake.accessPoints = [{ SSID: 'home', password: 'secret', RSSI: -50, channel: 6, security: 'wpa2_psk' }];
  config.mqttEndpoint = 'mqtt.lane.test';
  config.ssid = 'home';
  config.password = 'secret';
  const connections: string[] = [];
  networkFake.dns.set('mqtt.lane.test', '10.0.0.30');
  networkFake.servers.set('10.0.0.30:8883', {
    accept(peer) {
      connections.push('accepted');
      peer.onData = () => peer.close(); // no cloud here: the point is that the agent got this far
    },
    tls: { caDer: laneRootCaDer, requireClientCertificate: true },
  });
  const summary = await boot();
  t.equal(summary.platform.wifi.status, 'got-ip', 'Wi-Fi joined from config ssid/password');
  t.assert(summary.agent !== undefined && summary.started !== undefined, 'agent created and starting');
  await t.sleep(3_000);
  t.assert(connections.length >= 1, 'the provisionee opened a TLS connection with the claim credentials');
  await summary.agent!.stop();
  delete config.ssid;
  delete config.password;
});

scenario('key store over preference storage: generate, sign, verify; power cut while storing', async (t) => {
  freshDevice();
  const text = createModdableText();
  const backend = new SoftwareKeyStoreBackend({ storage: new PreferenceStorage({ namespace: 'mi.ks' }), random: moddableRandom, text });
  const keyStore = new KeyStore(backend);
  const info = await t.measure('generateKeyPair EC-P256 (window 8 tables here)', () => keyStore.generateKeyPair(Labels.deviceKey, 'EC-P256'));
  const message = text.encode('hello');
  const der = await t.measure('sign ECDSA-SHA256', () => keyStore.sign(Labels.deviceKey, 'ECDSA-SHA256', message));
  const spki = await keyStore.getPublicKey(Labels.deviceKey);
  const publicKey = spki.subarray(spki.length - 65);
  t.equal(p256.verify(der, sha256(message), publicKey, { prehash: false, format: 'der' } as never), true, 'noble verifies the key store signature');
  t.equal(info.id.length, 32, 'CKA_ID is 32 bytes');

  // Replace the root certificate with power cut at each write: old or new, never neither.
  await keyStore.putCertificate(Labels.rootCert, laneRootCaDer);
  for (let cut = 0; cut < 3; cut++) {
    power.armAfter(cut);
    try {
      await keyStore.putCertificate(Labels.rootCert, laneClaimCertDer);
    } catch (error) {
      if (!(error instanceof PowerLoss)) throw error;
    }
    power.reboot();
    const reopened = new KeyStore(new SoftwareKeyStoreBackend({ storage: new PreferenceStorage({ namespace: 'mi.ks' }), random: moddableRandom, text }));
    const stored = await reopened.getCertificate(Labels.rootCert);
    const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
    t.assert(same(stored, laneRootCaDer) || same(stored, laneClaimCertDer), `cut ${cut}: old or new certificate`);
    await keyStore.putCertificate(Labels.rootCert, laneRootCaDer);
  }
});
