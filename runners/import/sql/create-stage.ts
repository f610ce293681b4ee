import type { SqlQuery } from '../../shared/sql-query.js';
import { qualified } from '../../shared/ident.js';

/** The staging column that holds CSV column i (0-based). Positional names keep header text out of DDL. */
export function stageColumn(i: number): string {
  return `c${i + 1}`;
}

/**
 * The staging table: the source line, then one column per CSV column, of the types the layout gives (text, or the
 * target's type: catalog-made names, see stage-layout.ts). UNLOGGED, because it is rebuilt from the file on any
 * rerun, so writing it to WAL would only cost time. Autovacuum stays off it: it lives minutes and is read once,
 * in full. Every column is nullable: a NULL in a NOT NULL column is a bad row to report, not a failed COPY.
 */
export function createStage(schema: string, table: string, types: string[]): SqlQuery {
  const cols = types.map((type, i) => `${stageColumn(i)} ${type}`).join(', ');
  return {
    text: `CREATE UNLOGGED TABLE ${qualified(schema, table)} (_line bigint NOT NULL, ${cols}) WITH (autovacuum_enabled = false)`,
    values: [],
  };
}
