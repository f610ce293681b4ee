import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * The target table, its columns and its unique indexes, in one round trip. builtinInput: the column's type reads
 * its text with a built-in input function and is not a domain (nor an array of one), so a bad value is a soft
 * error that COPY ... ON_ERROR ignore can skip; an extension's input function or a domain's CHECK may throw instead. Identifiers from the spec are only
 * ever compared with catalog names here, as parameters; nothing is pasted into SQL before this resolves them.
 */
export function describeTarget(schema: string, table: string): SqlQuery {
  return {
    name: 'bulkhead_describe_target',
    text: `
      SELECT c.oid::int8 AS oid, c.relkind,
        (SELECT coalesce(json_agg(json_build_object(
            'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'typeOid', a.atttypid::int8,
            'typmod', a.atttypmod, 'notNull', a.attnotnull, 'hasDefault', a.atthasdef OR a.attidentity <> '',
            'generated', a.attgenerated <> '', 'identityAlways', a.attidentity = 'a',
            'builtinInput', t.typtype <> 'd' AND t.typinput::oid < 16384
              AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typtype = 'd')) ORDER BY a.attnum), '[]')
           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
        (SELECT coalesce(json_agg(json_build_object('name', ic.relname, 'primary', i.indisprimary,
            'columns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum))), '[]')
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
          WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid
            AND i.indpred IS NULL AND i.indexprs IS NULL) AS unique_indexes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2`,
    values: [schema, table],
  };
}
