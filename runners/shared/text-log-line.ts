import { pino } from 'pino';

/** Keys every record has, shown in the line's fixed part (time, level, component, message) or left out (event). */
const SHOWN_APART = new Set(['time', 'level', 'component', 'msg', 'event']);

/**
 * One log record as a plain line, for --log-format text: `<time> <LEVEL> <component>: <message>` and then the
 * record's other fields as ` key=value` (a value that is not a plain word in JSON), so no field is lost.
 * The message is printed as it is: text that came from a source file is already clipped and escaped there
 * (source-text.ts), and a multi-line message (a list of rejects) stays readable.
 */
export function textLogLine(record: Record<string, unknown>): string {
  const level = (pino.levels.labels[Number(record.level)] ?? String(record.level)).toUpperCase();
  const fields = Object.entries(record)
    .filter(([key, value]) => !SHOWN_APART.has(key) && value !== undefined)
    .map(([key, value]) => ` ${key}=${typeof value === 'string' && /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value)}`);
  return `${String(record.time)} ${level} ${String(record.component)}: ${typeof record.msg === 'string' ? record.msg : ''}${fields.join('')}\n`;
}
