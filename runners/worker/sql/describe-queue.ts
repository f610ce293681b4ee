import type { SqlQuery } from '../../shared/sql-query.js';

/** A queue table's columns and partial indexes; the spec's names are compared as parameters, never pasted. */
export function describeQueue(schema: string, table: string): SqlQuery {
  return {
    text: `
      SELECT (SELECT json_object_agg(a.attname, format_type(a.atttypid, a.atttypmod))
                FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
             (SELECT coalesce(json_agg(json_build_object('name', ic.relname,
                        'firstColumn', (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = i.indkey[0]),
                        'predicate', pg_get_expr(i.indpred, i.indrelid))), '[]')
                FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
               WHERE i.indrelid = c.oid AND i.indpred IS NOT NULL AND i.indisvalid) AS partial_indexes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    values: [schema, table],
  };
}
