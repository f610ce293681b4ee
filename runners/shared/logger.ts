import { writeSync } from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';
import { textLogLine } from './text-log-line.js';

/** The levels --log-level takes, most severe first (pino's, plus silent). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** How records are written on stderr: one JSON object a line, or one plain line each (text-log-line.ts). */
export const LOG_FORMATS = ['json', 'text'] as const;

/** The level and format of every logger of the process. */
export interface LogSettings {
  level: (typeof LOG_LEVELS)[number];
  format: (typeof LOG_FORMATS)[number];
}

let settings: LogSettings = { level: 'info', format: 'json' };

/** Sets the level and format of every logger created after it; the CLI calls it once, from --log-level and --log-format. */
export function configureLogs(next: LogSettings): void {
  settings = next;
}

/**
 * A logger on stderr (stdout carries the summary line). Each record names its component. Writes are
 * synchronous: the CLI exits with process.exit(), and an async destination would drop what it still buffers.
 */
export function createLogger(component: string): Logger {
  const destination = settings.format === 'text' ? textDestination() : pino.destination({ dest: 2, sync: true });
  return pino({ level: settings.level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** Turns each JSON record pino writes into a plain line. */
function textDestination(): DestinationStream {
  return { write: (record: string) => void writeSync(2, textLogLine(JSON.parse(record) as Record<string, unknown>)) };
}

export type { Logger };
