import { pino, type Logger } from 'pino';

/** A JSON logger on stderr (stdout carries the summary line). Each record names its component. */
export function createLogger(component: string, level = 'info'): Logger {
  return pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}

export type { Logger };
