// Runner fixture: one passing scenario with a measure and a virtual sleep.
import { scenario } from '../../xs/harness.js';

scenario('passes', async (t) => {
  const n = await t.measure('sum', () => [1, 2, 3].reduce((a, b) => a + b, 0));
  await t.sleep(5_000);
  t.equal(n, 6, 'sum');
});
