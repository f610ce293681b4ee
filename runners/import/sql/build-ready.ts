import type { SqlQuery } from '../../shared/sql-query.js';
import { ident, qualified } from '../../shared/ident.js';
import type { PlannedColumn } from '../import-plan.js';
import { notRejected, typedValue } from './value-expression.js';

/**
 * Builds the merge source from staging: values transformed and cast to the target's types, rejected lines left
 * out, one row per key with the last line in the file winning, numbered in key order.
 *
 * DISTINCT ON (key) ... ORDER BY key, _line DESC keeps the last occurrence, so a file that repeats a key never hits
 * "ON CONFLICT DO UPDATE command cannot affect row a second time". The row_number() reuses that sort, so _seq
 * costs no second one. Merging in key order walks the target's key index in order, and chunk ranges of _seq
 * become key ranges, so two chunks never touch the same index pages' rows twice.
 */
export function buildReady(importId: string, schema: string, stage: string, ready: string, columns: PlannedColumn[], key: PlannedColumn[], anyRejects: boolean): SqlQuery {
  const casts = columns.map((c) => `${typedValue(c)} AS ${ident(c.target.name)}`).join(', ');
  const keys = key.map((c) => ident(c.target.name)).join(', ');
  const filter = anyRejects ? `WHERE ${notRejected('$1')}` : 'WHERE $1::text IS NOT NULL';
  return {
    text: `
      CREATE UNLOGGED TABLE ${qualified(schema, ready)} WITH (autovacuum_enabled = false) AS
      SELECT row_number() OVER (ORDER BY ${keys}) AS _seq, d.*
      FROM (SELECT DISTINCT ON (${keys}) t.*
            FROM (SELECT s._line, ${casts} FROM ${qualified(schema, stage)} s ${filter}) t
            ORDER BY ${keys}, t._line DESC) d`,
    values: [importId],
  };
}
