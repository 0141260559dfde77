// Checks the lane itself: virtual timers, measure(), the crypto shim, text coding in XS.
import { scenario } from '../harness.js';
import { createLanePlatform } from '../lane-platform.js';

scenario('virtual timers fire in due order and repeat until cleared', async (t) => {
  const { timers, clock } = createLanePlatform();
  const fired: string[] = [];
  const start = clock.monotonic();
  timers.set(() => fired.push('b@200'), 200);
  timers.set(() => fired.push('a@100'), 100);
  let ticks = 0;
  const handle = timers.repeat(() => {
    ticks += 1;
    if (ticks === 3) timers.clear(handle);
  }, 50);
  await t.sleep(1_000);
  t.equal(fired, ['a@100', 'b@200'], 'one-shot timers in due order');
  t.equal(ticks, 3, 'repeat stops after clear');
  t.equal(clock.monotonic() - start, 1_000, 'virtual time advanced by the sleep');
});

scenario('measure runs a step in its own cranks and returns its value', async (t) => {
  const value = await t.measure('allocate 1,000 small arrays', () => {
    const keep: number[][] = [];
    for (let i = 0; i < 1_000; i++) keep.push([i, i + 1]);
    return keep.length;
  });
  t.equal(value, 1_000, 'measure returns the function result');
  const later = await t.measure('async step across a timer', async () => {
    await t.sleep(10);
    return 'done';
  });
  t.equal(later, 'done', 'an async measured step may wait on virtual timers');
});

scenario('crypto.getRandomValues shim and text coding exist in XS', async (t) => {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  t.assert(bytes.some((b) => b !== 0), 'random bytes are not all zero');
  const { text } = createLanePlatform();
  const encoded = text.encode('héllo €');
  t.equal(encoded.length, 10, 'UTF-8 byte length');
  t.equal(text.decode(encoded), 'héllo €', 'round trip');
  await t.throws(() => text.decode(new Uint8Array([0xff, 0xfe]), true), '', 'fatal decode rejects malformed UTF-8');
});
