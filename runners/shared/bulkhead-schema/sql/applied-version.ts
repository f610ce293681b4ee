import type { Queryable } from '../../sql-query.js';
import type { Migration } from '../migrations.js';

/** The highest migration applied, 0 for none; run by the schema's owner under the schema lock. */
export async function readAppliedVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ version: number }>({ text: 'SELECT coalesce(max(version), 0)::int AS version FROM bulkhead.schema_migrations', values: [] });
  return rows[0]?.version ?? 0;
}

/** Records a migration as applied, in the transaction that applied it. */
export async function recordMigration(db: Queryable, migration: Migration): Promise<void> {
  await db.query({ text: 'INSERT INTO bulkhead.schema_migrations (version, name) VALUES ($1, $2)', values: [migration.version, migration.name] });
}
