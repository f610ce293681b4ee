import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * Every staging table in the bulkhead schema, live or left behind by a killed run, that this role may drop: its
 * own, or all of them for the schema's owner. Another role's staging is left to that role.
 */
export function listStaging(): SqlQuery {
  return {
    text: `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'bulkhead' AND c.relkind = 'r' AND c.relname ~ '_(stage|ready)$'
             AND (pg_has_role(c.relowner, 'USAGE') OR pg_has_role(n.nspowner, 'USAGE'))`,
    values: [],
  };
}
