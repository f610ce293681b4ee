import { pino, type Logger } from 'pino';

/**
 * A JSON logger on stderr (stdout carries the summary line). Each record names its component. Writes are
 * synchronous: the CLI exits with process.exit(), and an async destination would drop what it still buffers.
 */
export function createLogger(component: string, level = 'info'): Logger {
  return pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));
}

export type { Logger };
