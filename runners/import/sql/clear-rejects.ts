import type { SqlQuery } from '../../shared/sql-query.js';

/** Forgets an import's rejects from its previous run. */
export function clearRejects(importId: string): SqlQuery {
  return { text: 'DELETE FROM bulkhead.import_rejects WHERE import = $1', values: [importId] };
}
