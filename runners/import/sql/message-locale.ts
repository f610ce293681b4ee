import type { SqlQuery } from '../../shared/sql-query.js';

/** The language of the server's messages to this session (see englishMessages in stage-layout.ts). */
export function messageLocale(): SqlQuery {
  return { text: "SELECT current_setting('lc_messages') AS lc", values: [] };
}
