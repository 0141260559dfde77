// platform/moddable/firmware-slots.ts over the lane's model of an ESP32 with rollback enabled
// (test/xs/fakes/esp-bootloader.ts): flash through `embedded:storage/flash`, boot control through
// the manifest FFI functions. Walks an update, a rollback by reset, an explicit rollback, and a
// power cut in the middle of writing the image.
import { scenario } from '../harness.js';
import { ModdableFirmwareSlots } from '../../../platform/moddable/firmware-slots.js';
import { ModdableSystem } from '../../../platform/moddable/system.js';
import { device, resetDevice, ESP_IMAGE_MAGIC } from '../fakes/esp-bootloader.js';
import { preferenceFake } from '../fakes/preference.js';
import { power, PowerLoss } from '../fakes/power-loss.js';

function image(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 13 + seed) & 0xff;
  bytes[0] = ESP_IMAGE_MAGIC;
  return bytes;
}

async function install(slots: ModdableFirmwareSlots, slot: 'A' | 'B', bytes: Uint8Array): Promise<void> {
  const span = Math.ceil(bytes.length / slots.blockSize) * slots.blockSize;
  await slots.erase(slot, 0, span);
  for (let offset = 0; offset < bytes.length; offset += 1000) await slots.write(slot, offset, bytes.subarray(offset, offset + 1000));
}

scenario('update, verify, mark valid; then a reset before markValid rolls back', async (t) => {
  resetDevice();
  preferenceFake.erase();
  power.reboot();
  let slots = new ModdableFirmwareSlots();
  t.equal(slots.blockSize, 4096, 'block size from flash status');
  t.equal(await slots.bootState(), { running: 'A', pendingVerify: false, previous: undefined, nextBoot: 'A' }, 'factory state');
  await t.throws(() => slots.write('A', 0, new Uint8Array(4)), 'running image', 'the running slot is not writable');
  await t.throws(() => slots.erase('B', 100, 4096), 'multiples', 'unaligned erase is refused');
  await t.throws(() => slots.setNextBoot('B'), 'refused the image', 'an empty slot does not validate');

  const v2 = image(10_000, 2);
  await t.measure('erase + write 10,000 B into slot B', () => install(slots, 'B', v2));
  t.equal(await slots.read('B', 0, v2.length), v2, 'slot B reads back the image');
  await slots.setNextBoot('B');
  t.equal((await slots.bootState()).nextBoot, 'B', 'next boot B');

  device.bootloader.reset();
  slots = new ModdableFirmwareSlots();
  t.equal(await slots.bootState(), { running: 'B', pendingVerify: true, previous: 'A', nextBoot: 'B' }, 'first boot of B is pending verification');
  await slots.markValid();
  t.equal((await slots.bootState()).pendingVerify, false, 'marked valid');
  device.bootloader.reset();
  t.equal((await new ModdableFirmwareSlots().bootState()).running, 'B', 'B keeps booting once valid');

  // v3 into A; reset without markValid: the bootloader rolls back to B.
  slots = new ModdableFirmwareSlots();
  await install(slots, 'A', image(9_000, 3));
  await slots.setNextBoot('A');
  device.bootloader.reset();
  slots = new ModdableFirmwareSlots();
  t.equal((await slots.bootState()).pendingVerify, true, 'v3 boots pending');
  device.bootloader.reset(); // e.g. a crash during self-test
  t.equal(await new ModdableFirmwareSlots().bootState(), { running: 'B', pendingVerify: false, previous: 'B', nextBoot: 'B' }, 'rolled back to B');
});

scenario('explicit rollback restarts into the previous image; reboot goes through esp_restart', async (t) => {
  resetDevice();
  preferenceFake.erase();
  power.reboot();
  let slots = new ModdableFirmwareSlots();
  await t.throws(() => slots.rollback(), 'not pending verification', 'no rollback of a valid image');
  await install(slots, 'B', image(5_000, 4));
  await slots.setNextBoot('B');
  device.bootloader.reset();
  slots = new ModdableFirmwareSlots();
  const attempt = slots.rollback();
  t.equal(device.bootloader.restartRequested, true, 'rollback asked for a restart');
  await t.throws(() => attempt, 'returned', 'the fake returns where the device would not');
  device.bootloader.reset();
  t.equal((await new ModdableFirmwareSlots().bootState()).running, 'A', 'A runs again');

  const system = new ModdableSystem();
  let settled = false;
  void system.reboot('test').then(() => (settled = true));
  await t.sleep(1);
  t.equal(device.bootloader.restartRequested, true, 'reboot called esp_restart');
  t.equal(settled, false, 'reboot never resolves');
});

scenario('power cut while writing the image leaves the running slot and boot choice alone', async (t) => {
  resetDevice();
  preferenceFake.erase();
  power.reboot();
  const slots = new ModdableFirmwareSlots();
  power.armAfter(5);
  let lost = false;
  try {
    await install(slots, 'B', image(10_000, 5));
  } catch (error) {
    lost = error instanceof PowerLoss;
  }
  t.assert(lost, 'the power cut interrupted the install');
  power.reboot();
  device.bootloader.reset();
  const after = new ModdableFirmwareSlots();
  t.equal(await after.bootState(), { running: 'A', pendingVerify: false, previous: undefined, nextBoot: 'A' }, 'still A, nothing pending');
  const partial = await after.read('B', 0, 4);
  t.equal(partial[0], ESP_IMAGE_MAGIC, 'a prefix of the image was written (resume is possible)');
});
