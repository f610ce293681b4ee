import { InvalidInputError } from '../shared/errors.js';
import { ident, integerLiteral, literal, parseTableName, qualified, type TableName } from '../shared/ident.js';
import type { StressRunSpec } from '../shared/generated/stressrun.js';
import type { Queryable } from '../shared/sql-query.js';
import { describeQueue } from './sql/describe-queue.js';

/** A queue table as the catalog describes it. */
export interface QueueTable extends TableName {
  /** Column name -> format_type(). */
  columns: Map<string, string>;
  /** Partial indexes: their first key column and predicate text. */
  partialIndexes: { name: string; firstColumn: string; predicate: string }[];
}

/** The queue columns a worker reads and writes, resolved against the catalog. */
export interface QueueShape {
  table: QueueTable;
  idType: string;
  hasResult: boolean;
  hasUpdatedAt: boolean;
}

/** Bookkeeping columns a worker needs, and the types it accepts for each. */
const BOOKKEEPING: { name: string; ddl: string; accepts: string[] }[] = [
  { name: 'attempts', ddl: 'integer NOT NULL DEFAULT 0', accepts: ['integer', 'smallint', 'bigint'] },
  { name: 'locked_by', ddl: 'text', accepts: ['text', 'character varying'] },
  { name: 'locked_at', ddl: 'timestamp with time zone', accepts: ['timestamp with time zone'] },
  { name: 'last_error', ddl: 'text', accepts: ['text', 'character varying'] },
];

/** Reads the queue table from the catalog; undefined when there is none. */
export async function readQueueTable(client: Queryable, name: TableName): Promise<QueueTable | undefined> {
  const { rows } = await client.query<{ columns: Record<string, string> | null; partial_indexes: QueueTable['partialIndexes'] }>(describeQueue(name.schema, name.table));
  const row = rows[0];
  if (!row?.columns) return undefined;
  return { ...name, columns: new Map(Object.entries(row.columns)), partialIndexes: row.partial_indexes };
}

/** What is wrong with a queue table: problems no DDL fixes, and the DDL that adds what is missing. */
export interface QueueCheck {
  problems: string[];
  ddl: string[];
}

/** The partial index a worker's claim uses: pending rows in id order. */
function pendingIndexName(q: TableName): string {
  return `${q.table}_bulkhead_pending`.slice(0, 63);
}

/** The partial index the lease reclaim uses: processing rows by locked_at. */
function processingIndexName(q: TableName): string {
  return `${q.table}_bulkhead_processing`.slice(0, 63);
}

function hasPartialIndex(table: QueueTable, column: string, statusColumn: string, status: string): boolean {
  return table.partialIndexes.some((i) => i.firstColumn === column && i.predicate.includes(statusColumn) && i.predicate.includes(`'${status.replaceAll("'", "''")}'`));
}

/**
 * Checks a queue table against what a worker needs (pure). Columns the spec names must exist; bookkeeping columns
 * and the two partial indexes may be missing, and then come back as the exact DDL that `bulkhead queue init` runs.
 * A partial index counts when it leads with the right column and its predicate names the status column and value.
 */
export function checkQueueTable(table: QueueTable, queue: StressRunSpec['queue'], needsUrl: boolean): QueueCheck {
  const problems: string[] = [];
  const ddl: string[] = [];
  const label = `${table.schema}.${table.table}`;
  const target = qualified(table.schema, table.table);
  const required: [string, string][] = [['spec.queue.idColumn', queue.idColumn], ['spec.queue.statusColumn', queue.statusColumn]];
  if (needsUrl) required.push(['spec.queue.urlColumn', queue.urlColumn]);
  for (const [field, column] of required) {
    if (!table.columns.has(column)) problems.push(`${field}: column "${column}" does not exist in ${label}`);
  }
  for (const b of BOOKKEEPING) {
    const type = table.columns.get(b.name);
    if (type === undefined) ddl.push(`ALTER TABLE ${target} ADD COLUMN IF NOT EXISTS ${ident(b.name)} ${b.ddl}`);
    else if (!b.accepts.includes(type)) problems.push(`column "${b.name}" of ${label} is ${type}; a worker needs ${b.accepts.join(' or ')}`);
  }
  const status = ident(queue.statusColumn);
  if (!hasPartialIndex(table, queue.idColumn, queue.statusColumn, queue.statuses.pending)) {
    ddl.push(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${ident(pendingIndexName(table))} ON ${target} (${ident(queue.idColumn)}) WHERE ${status} = ${literal(queue.statuses.pending)}`);
  }
  if (!hasPartialIndex(table, 'locked_at', queue.statusColumn, queue.statuses.processing)) {
    ddl.push(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${ident(processingIndexName(table))} ON ${target} (locked_at) WHERE ${status} = ${literal(queue.statuses.processing)}`);
  }
  return { problems, ddl };
}

/** The quoted names every worker statement uses: the table, its id and status columns, and the updated_at clause. */
export function queueIdentifiers(shape: QueueShape, queue: StressRunSpec['queue']): { t: string; id: string; status: string; touched: string } {
  return {
    t: qualified(shape.table.schema, shape.table.table),
    id: ident(queue.idColumn),
    status: ident(queue.statusColumn),
    touched: shape.hasUpdatedAt ? ', updated_at = now()' : '',
  };
}

/**
 * The queue's status values and limits as SQL literals, for the claim and completion statements only. They are
 * configuration, fixed for the life of a worker, and written into the statement text (not bound as $n) so that
 * its cached generic plan can be used: with `status = $1` PostgreSQL cannot prove the pending index's predicate
 * (`status = 'pending'`, written by the same literal() in checkQueueTable) for every value of $1, so it planned the
 * claim afresh on each execution (pg_prepared_statements: 0 generic, 7 custom plans after 7 claims; planning
 * 0.27 ms against 0.41 ms of execution), and the completion likewise (0.7 ms of planning per batch).
 */
export function queueConstants(queue: StressRunSpec['queue']): { pending: string; processing: string; completed: string; failed: string; batchSize: string; maxAttempts: string } {
  const { pending, processing, completed, failed } = queue.statuses;
  return {
    pending: literal(pending),
    processing: literal(processing),
    completed: literal(completed),
    failed: literal(failed),
    batchSize: integerLiteral(queue.batchSize),
    maxAttempts: integerLiteral(queue.maxAttempts),
  };
}

/** The shape the worker's SQL is built from, once the table passed the check. */
export function queueShape(table: QueueTable, queue: StressRunSpec['queue']): QueueShape {
  return {
    table,
    idType: table.columns.get(queue.idColumn) ?? 'text',
    hasResult: table.columns.get('result') === 'jsonb',
    hasUpdatedAt: table.columns.get('updated_at') === 'timestamp with time zone',
  };
}

/**
 * Finds the spec's queue table and checks it. A missing table, or a problem no DDL can fix, is bad input;
 * missing bookkeeping comes back as `check.ddl` for the caller to print (worker) or run (queue init).
 */
export async function inspectQueue(client: Queryable, spec: StressRunSpec): Promise<{ label: string; table: QueueTable; check: QueueCheck }> {
  const name = parseTableName(spec.queue.table);
  const label = `${name.schema}.${name.table}`;
  const table = await readQueueTable(client, name);
  if (!table) throw new InvalidInputError(`spec.queue.table: table ${label} does not exist`);
  const check = checkQueueTable(table, spec.queue, spec.processor.type === 'http');
  if (check.problems.length > 0) throw new InvalidInputError(`queue table ${label} cannot be used:\n  ${check.problems.join('\n  ')}`);
  return { label, table, check };
}
