import type { LogLevel, Logger } from '../pal/index.js';
import { fieldsToJson, redactSecrets } from './redact.js';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface NodeLoggerOptions {
  /** Lowest level written (default `info`, or MI_LOG_LEVEL from the environment). */
  level?: LogLevel;
  /** Where lines go (default: process.stderr). Tests pass a collector. */
  sink?: (line: string) => void;
  /** Prefix for every line, e.g. the device name when one host runs several devices. */
  name?: string;
}

/**
 * One line per entry: `<ISO time> <LEVEL> [component] message {fields}`. Every line passes through
 * redactSecrets, and byte arrays in fields are shown only as their length.
 */
export class NodeLogger implements Logger {
  level: LogLevel;
  readonly #sink: (line: string) => void;
  readonly #prefix: string;

  constructor(options: NodeLoggerOptions = {}) {
    const fromEnv = process.env.MI_LOG_LEVEL as LogLevel | undefined;
    this.level = options.level ?? (fromEnv && fromEnv in RANK ? fromEnv : 'info');
    this.#sink = options.sink ?? ((line) => process.stderr.write(line + '\n'));
    this.#prefix = options.name ? `${options.name} ` : '';
  }

  log(level: LogLevel, component: string, message: string, fields?: Record<string, unknown>): void {
    if (RANK[level] < RANK[this.level]) return;
    let line = `${new Date().toISOString()} ${this.#prefix}${level.toUpperCase().padEnd(5)} [${component}] ${message}`;
    if (fields && Object.keys(fields).length > 0) {
      let json: string;
      try {
        json = fieldsToJson(fields);
      } catch {
        json = '{"fields":"[unserialisable]"}';
      }
      line += ' ' + json;
    }
    // One entry is one line, even if a message carries newlines.
    this.#sink(redactSecrets(line).replace(/\r?\n/g, '\\n'));
  }
}
