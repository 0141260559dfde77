// Runner fixture: every way a scenario must fail.
import { scenario } from '../../xs/harness.js';

scenario('assertion', (t) => {
  t.equal({ a: 1 }, { a: 2 }, 'objects');
});
scenario('exception', () => {
  throw new RangeError('boom');
});
scenario('unhandled rejection', async (t) => {
  void Promise.reject(new Error('nobody catches this'));
  await t.sleep(1);
});
scenario('stall', async () => {
  await new Promise(() => {});
});
scenario('timer callback throws', async (t) => {
  const { createLanePlatform } = await import('../../xs/lane-platform.js');
  createLanePlatform().timers.set(() => {
    throw new Error('from a timer');
  }, 10);
  await t.sleep(100);
});
