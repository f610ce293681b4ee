import type pg from 'pg';
import { describeTarget } from './sql/describe-target.js';
import { comparableType } from './sql/comparable-type.js';
import type { TableName } from '../shared/ident.js';

/** A column of the target, as the catalog describes it. */
export interface TargetColumn {
  name: string;
  /** format_type(): the type with its modifier, such as character varying(64). */
  type: string;
  typeOid: number;
  typmod: number;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  identityAlways: boolean;
  /** Whether the type's text input is a built-in, soft-error-safe function (not a domain; see describe-target.ts). */
  builtinInput: boolean;
  /** Whether the type has an equality operator, so IS DISTINCT FROM can compare it directly. */
  comparable: boolean;
}

/** The target table as found in the catalog. */
export interface TargetTable extends TableName {
  oid: number;
  columns: TargetColumn[];
  uniqueIndexes: { name: string; primary: boolean; columns: string[] }[];
}

/** Reads the target from the catalog; undefined when there is no such table. */
export async function readTargetTable(client: pg.Client, name: TableName): Promise<TargetTable | undefined> {
  const { rows } = await client.query<{
    oid: string;
    relkind: string;
    columns: Omit<TargetColumn, 'comparable'>[];
    unique_indexes: TargetTable['uniqueIndexes'];
  }>(describeTarget(name.schema, name.table));
  const row = rows[0];
  if (!row || !['r', 'p'].includes(row.relkind)) return undefined;
  const comparable = new Map<string, boolean>();
  for (const type of new Set(row.columns.map((c) => c.type))) {
    comparable.set(type, await client.query(comparableType(type)).then(() => true, () => false));
  }
  return {
    ...name,
    oid: Number(row.oid),
    columns: row.columns.map((c) => ({ ...c, comparable: comparable.get(c.type) ?? false })),
    uniqueIndexes: row.unique_indexes,
  };
}
