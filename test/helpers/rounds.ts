/** How many rounds a long loop runs: the full count on CI (CI=true), fewer locally. */
export function rounds(full: number, local = Math.max(1, Math.ceil(full / 10))): number {
  return process.env.CI === 'true' || process.env.FULL_ROUNDS === '1' ? full : local;
}
