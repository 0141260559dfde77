/** PAL Logger over XS's `trace` (serial console / xsbug on the device). One line per entry. */
import type { Logger, LogLevel } from '../pal/index.js';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

type Trace = (text: string) => void;

export class TraceLogger implements Logger {
  level: LogLevel;
  readonly #trace: Trace;
  readonly #now: () => number;

  constructor(options: { level?: LogLevel; now?: () => number } = {}) {
    this.level = options.level ?? 'info';
    this.#now = options.now ?? (() => Date.now());
    const trace = (globalThis as { trace?: Trace }).trace;
    if (typeof trace !== 'function') throw new Error('trace() is not available: not running under XS');
    this.#trace = trace;
  }

  log(level: LogLevel, component: string, message: string, fields?: Record<string, unknown>): void {
    if (RANK[level] < RANK[this.level]) return;
    let suffix = '';
    if (fields) {
      try {
        suffix = ' ' + JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
      } catch {
        suffix = ' [unserializable fields]';
      }
    }
    this.#trace(`${this.#now()} ${level.toUpperCase()} ${component}: ${message}${suffix}\n`);
  }
}
