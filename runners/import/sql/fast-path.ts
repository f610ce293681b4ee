import type { SqlQuery } from '../../shared/sql-query.js';
import { qualified } from '../../shared/ident.js';
import type { ImportPlan } from '../import-plan.js';
import { insertTarget } from './merge-chunk.js';
import type { MergeSource } from './merge-source.js';

/**
 * Takes the target for the empty-table fast path. ACCESS EXCLUSIVE is what DROP INDEX takes anyway; taking it
 * first, under a short lock_timeout, means a busy table falls back to the chunked merge instead of queueing
 * every other session behind us.
 */
export function lockTarget(plan: ImportPlan): SqlQuery {
  return { text: `LOCK TABLE ${qualified(plan.table.schema, plan.table.table)} IN ACCESS EXCLUSIVE MODE`, values: [] };
}

/** Whether the target has any row, read under the lock above. */
export function targetHasRows(plan: ImportPlan): SqlQuery {
  return { text: `SELECT EXISTS (SELECT 1 FROM ${qualified(plan.table.schema, plan.table.table)}) AS has_rows`, values: [] };
}

/**
 * The secondary indexes the fast path may drop and rebuild: valid, not backing a constraint (primary key, unique,
 * exclusion), and not the key index itself. pg_get_indexdef gives the exact statement to rebuild each one.
 */
export function droppableIndexes(plan: ImportPlan): SqlQuery {
  return {
    text: `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
           FROM pg_index i
           WHERE i.indrelid = $1 AND i.indisvalid AND i.indisready
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             AND i.indexrelid <> (SELECT oid FROM pg_class WHERE relname = $2 AND relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = $1))
           ORDER BY 1`,
    values: [plan.table.oid, plan.keyIndex],
  };
}

/**
 * Loads every source row into the empty, locked target. No ON CONFLICT: the table is empty, the rows are unique
 * by key, and nobody else can write. No ORDER BY: either source was written in key order and a scan returns it so
 * (order only matters here for index locality, not for correctness).
 */
export function insertAll(plan: ImportPlan, source: MergeSource, importId: string): SqlQuery {
  return {
    text: `INSERT INTO ${insertTarget(plan)} SELECT ${source.select} FROM ${source.from} WHERE $1::text IS NOT NULL ${source.filter('$1')}`,
    values: [importId],
  };
}

/**
 * Whether this role may drop and rebuild the target's indexes: DROP INDEX needs the table's owner's privileges, and
 * CREATE INDEX needs CREATE on its schema. A role that may only write the table loads with the indexes in place.
 */
export function mayRebuildIndexes(plan: ImportPlan): SqlQuery {
  return {
    text: `SELECT pg_has_role(c.relowner, 'USAGE') AND has_schema_privilege(c.relnamespace, 'CREATE') AS may
           FROM pg_class c WHERE c.oid = $1`,
    values: [plan.table.oid],
  };
}

/** Drops one index found by droppableIndexes; its name is the catalog's regclass text, already quoted. */
export function dropIndex(regclassName: string): SqlQuery {
  return { text: `DROP INDEX ${regclassName}`, values: [] };
}
