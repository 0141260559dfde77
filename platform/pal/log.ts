export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Logging with levels. Callers never pass secrets (private keys, ownership tokens in full); fields
 * are small JSON-able values.
 */
export interface Logger {
  level: LogLevel;
  log(level: LogLevel, component: string, message: string, fields?: Record<string, unknown>): void;
}
