import type { SqlQuery } from '../../shared/sql-query.js';
import type { Reject } from '../copy-rows.js';

/** Records rejects found while framing the CSV (wrong field count, bad bytes), as arrays in one statement. */
export function recordFramingRejects(importId: string, rejects: Reject[]): SqlQuery {
  return {
    text: `INSERT INTO bulkhead.import_rejects (import, line, column_name, reason, value)
           SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[])`,
    values: [importId, rejects.map((r) => r.line), rejects.map((r) => r.column), rejects.map((r) => r.reason), rejects.map((r) => r.value)],
  };
}
