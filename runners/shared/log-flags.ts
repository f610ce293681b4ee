import { Option, type Command } from 'commander';
import { LOG_FORMATS, LOG_LEVELS, type LogSettings } from './logger.js';

/** The global flags that set the log level and format, as commander parses them. */
export interface LogFlags {
  logLevel?: LogSettings['level'];
  logFormat?: LogSettings['format'];
}

/** Declares --log-level and --log-format (each also from its environment variable) on the program. */
export function declareLogFlags(program: Command): Command {
  return program
    .addOption(new Option('--log-level <level>', 'the least severe log records written on stderr').choices(LOG_LEVELS).default('info').env('BULKHEAD_LOG_LEVEL'))
    .addOption(new Option('--log-format <format>', 'log records on stderr as JSON lines or as plain text lines (default: text when stderr is a terminal, json otherwise)')
      .choices(LOG_FORMATS).env('BULKHEAD_LOG_FORMAT'));
}

/**
 * The settings from the flags. Without --log-format, a person at a terminal gets text and anything else (a pod's
 * log, a pipe, a file) gets JSON, one record a line.
 */
export function logSettings(flags: LogFlags, stderrIsTerminal: boolean): LogSettings {
  return { level: flags.logLevel ?? 'info', format: flags.logFormat ?? (stderrIsTerminal ? 'text' : 'json') };
}
