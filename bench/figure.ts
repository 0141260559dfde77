/**
 * One benchmark figure as `build/bench.json` stores it. `ratio` is oriented so that higher is better:
 * ours/peer for rates (messages/s), peer/ours for times (ms).
 */
export interface Figure {
  value: number;
  unit: string;
  peer?: string;
  peerValue?: number;
  ratio?: number;
  /** What the goal is, e.g. "ratio >= 1.0"; printed beside the figure. */
  goal?: string;
}

export type BenchResult = Record<string, Figure>;

/** A benchmark file (`bench/*.bench.ts`) default-exports one of these. */
export type Bench = () => Promise<BenchResult>;

export function rateFigure(value: number, unit: string, peer: string, peerValue: number, goal?: string): Figure {
  return { value, unit, peer, peerValue, ratio: value / peerValue, ...(goal ? { goal } : {}) };
}

export function timeFigure(value: number, unit: string, peer: string, peerValue: number, goal?: string): Figure {
  return { value, unit, peer, peerValue, ratio: peerValue / value, ...(goal ? { goal } : {}) };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
