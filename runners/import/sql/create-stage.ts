import type { SqlQuery } from '../../shared/sql-query.js';
import { qualified } from '../../shared/ident.js';

/** The staging column that holds CSV column i (0-based). Positional names keep header text out of DDL. */
export function stageColumn(i: number): string {
  return `c${i + 1}`;
}

/**
 * The staging table: the source line, then one text column per CSV column. UNLOGGED, because it is rebuilt from
 * the file on any rerun, so writing it to WAL would only cost time. Autovacuum stays off it: it lives minutes and
 * is read once, in full.
 */
export function createStage(schema: string, table: string, csvColumns: number): SqlQuery {
  const cols = Array.from({ length: csvColumns }, (_, i) => `${stageColumn(i)} text`).join(', ');
  return {
    text: `CREATE UNLOGGED TABLE ${qualified(schema, table)} (_line bigint NOT NULL, ${cols}) WITH (autovacuum_enabled = false)`,
    values: [],
  };
}
