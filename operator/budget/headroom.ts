import { InvalidInputError } from '../../runners/shared/errors.js';

/** Connections kept free on every server: a fraction of the usable slots, or a fixed count. */
export type Headroom = { fraction: number } | { count: number };

/** The default: 10% of the slots that max_connections leaves after the reserved ones. */
export const DEFAULT_HEADROOM: Headroom = { fraction: 0.1 };

/** Parses `--headroom`: "10%" is a fraction, "5" is a count of connections. */
export function parseHeadroom(text: string, flag = '--headroom'): Headroom {
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    if (value < 100) return { fraction: value / 100 };
  } else if (/^\s*\d+\s*$/.test(text)) {
    return { count: Number(text) };
  }
  throw new InvalidInputError(`${flag}: expected a percentage below 100% (like 10%) or a whole number of connections, got "${text}"`);
}

/** How many connections the headroom keeps out of `usable` slots; a fraction rounds up, so 10% of 5 keeps 1. */
export function headroomConnections(headroom: Headroom, usable: number): number {
  return 'count' in headroom ? headroom.count : Math.ceil(usable * headroom.fraction);
}

/** The headroom as the user wrote it, for messages and `bulkhead budget`. */
export function describeHeadroom(headroom: Headroom): string {
  return 'count' in headroom ? `${headroom.count}` : `${Math.round(headroom.fraction * 1000) / 10}%`;
}
