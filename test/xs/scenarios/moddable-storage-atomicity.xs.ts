// platform/moddable/preference-storage.ts over the lane's `preference` fake, which writes the way
// Moddable's ESP32 preference.set does (erase the key, then write it). The storage never overwrites a
// preference: new records under fresh names, the head written last, old records deleted after. Power
// is cut before every single NVS step of a replacement (and of a delete); after the reboot the value
// must be the complete old one or the complete new one, and nothing stale may survive the reopen.
import { scenario } from '../harness.js';
import type { ScenarioContext } from '../harness.js';
import { PreferenceStorage, PREFERENCE_VALUE_MAX } from '../../../platform/moddable/preference-storage.js';
import Preference, { preferenceFake } from '../fakes/preference.js';
import { power, PowerLoss } from '../fakes/power-loss.js';

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7) & 0xff;
  return bytes;
}

const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

/** Records a key's value needs once recovery has cleaned up: its head plus its chunks. */
function expectedRecords(value: Uint8Array | undefined): number {
  if (value === undefined) return 0;
  const inlineRoom = PREFERENCE_VALUE_MAX - 13 - 'thing'.length;
  return 1 + (value.length <= inlineRoom ? 0 : Math.ceil(value.length / PREFERENCE_VALUE_MAX));
}

async function cutEverywhere(t: ScenarioContext, label: string, before: Uint8Array | undefined, after: Uint8Array | undefined): Promise<number> {
  // A clean run counts the writes the change takes.
  const setUp = async () => {
    preferenceFake.erase();
    power.reboot();
    const storage = new PreferenceStorage();
    await storage.set('other', pattern(10, 99));
    if (before) await storage.set('thing', before);
    return storage;
  };
  const change = (storage: PreferenceStorage) => (after ? storage.set('thing', after) : storage.delete('thing'));
  const clean = await setUp();
  const start = power.writes;
  await change(clean);
  const total = power.writes - start;
  t.assert(total > 0, `${label}: the change writes something`);

  for (let cut = 0; cut <= total; cut++) {
    const storage = await setUp();
    power.armAfter(cut);
    let lost = false;
    try {
      await change(storage);
    } catch (error) {
      if (!(error instanceof PowerLoss)) throw error;
      lost = true;
    }
    t.equal(lost, cut < total, `${label}: power loss happens exactly when cut (${cut}) < writes (${total})`);
    power.reboot();
    const reopened = new PreferenceStorage();
    const value = await reopened.get('thing');
    const isOld = before ? same(value, before) : value === undefined;
    const isNew = after ? same(value, after) : value === undefined;
    t.assert(isOld || isNew, `${label}: cut after ${cut} of ${total} writes left neither the old nor the new value (got ${value?.length ?? 'none'} bytes)`);
    if (!lost) t.assert(isNew, `${label}: a completed change reads back new`);
    t.equal(preferenceFake.entries('mi.kv').size, expectedRecords(value) + 1, `${label}: records after reopen, 'other' included (cut ${cut})`);
    t.assert(same(await reopened.get('other'), pattern(10, 99)), `${label}: another key is untouched (cut ${cut})`);
  }
  return total;
}

scenario('chunked preference storage: old-or-new at every power cut', async (t) => {
  const small = pattern(100, 1);
  const smallNew = pattern(3_982, 2); // the largest value inline in its head (4,000 - 13 - 5)
  const large = pattern(9_000, 3); // 3 chunks
  const largeNew = pattern(12_345, 4); // 4 chunks
  const cases: [string, Uint8Array | undefined, Uint8Array | undefined][] = [
    ['small → small', small, smallNew],
    ['none → large', undefined, large],
    ['small → large', small, large],
    ['large → large', large, largeNew],
    ['large → small', large, small],
    ['large → deleted', large, undefined],
  ];
  let cuts = 0;
  for (const [label, before, after] of cases) cuts += (await cutEverywhere(t, label, before, after)) + 1;
  t.figure('power cuts simulated', cuts, 'cuts');
});

scenario('preference storage: limits, keys, corrupt record', async (t) => {
  preferenceFake.erase();
  power.reboot();
  const storage = new PreferenceStorage({ maxValueBytes: 20_000 });
  await t.throws(() => storage.set('sixteen-chars-xx', new Uint8Array(1)), '1-15 characters', 'a 16-character key is refused');
  await t.throws(() => storage.set('bad key', new Uint8Array(1)), '[A-Za-z0-9_.-]', 'a space is refused');
  await t.throws(() => storage.set('big', new Uint8Array(20_001)), 'exceeds 20000', 'the size limit');
  await storage.set('b', new Uint8Array([1]));
  await storage.set('a', new Uint8Array(0));
  t.equal(await storage.keys(), ['a', 'b'], 'keys sorted');
  t.equal(await storage.get('a'), new Uint8Array(0), 'an empty value is a value');
  await storage.delete('missing');
  const measured = await t.measure('set + get of a 16 KiB value (5 chunks)', async () => {
    await storage.set('blob', pattern(16_384, 5));
    return storage.get('blob');
  });
  t.assert(same(measured, pattern(16_384, 5)), '16 KiB value reads back');
  // Damage a chunk behind the storage's back: the CRC in the head catches it.
  const chunks = [...preferenceFake.entries('mi.kv').keys()].filter((name) => name.includes('.'));
  t.equal(chunks.length, 5, '16 KiB is 5 chunk records (plus its head)');
  const damaged = new Uint8Array(Preference.get('mi.kv', chunks[1]!) as ArrayBuffer);
  damaged[0] ^= 0xff;
  Preference.set('mi.kv', chunks[1]!, damaged.buffer);
  await t.throws(() => storage.get('blob'), 'CRC-32', 'a damaged chunk is reported, not returned');
});
