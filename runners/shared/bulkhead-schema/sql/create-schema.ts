import type { SqlQuery } from '../../sql-query.js';

/**
 * Creates schema bulkhead, owned by the current role. Run only when it is missing: CREATE SCHEMA IF NOT EXISTS
 * asks for CREATE on the database even when the schema exists, which its owner need not have.
 */
export function createSchema(): SqlQuery {
  return { text: 'CREATE SCHEMA bulkhead', values: [] };
}

/** The version table: one row per applied migration (migrations.ts). */
export function createMigrationsTable(): SqlQuery {
  return {
    text: `CREATE TABLE IF NOT EXISTS bulkhead.schema_migrations (
             version int PRIMARY KEY, name text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL DEFAULT current_user)`,
    values: [],
  };
}
