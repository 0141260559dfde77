/**
 * The lane's random source behind the crypto shim (tools/moddable-shims/crypto-global.js): a seeded
 * xorshift128+ so every run draws the same bytes. Not for secrets: the lane only tests logic.
 */
import { laneRandom } from '../lane-random.js';

export function fillRandom(target: Uint8Array): void {
  laneRandom.fill(target);
}
