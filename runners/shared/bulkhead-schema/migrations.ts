/** One step of bulkhead's own schema: applied once, in version order, and recorded in bulkhead.schema_migrations. */
export interface Migration {
  /** 1, 2, 3 …: the schema's version once this step is applied. Never renumbered, never edited once released. */
  version: number;
  /** What the step does, recorded with it. */
  name: string;
  /** The DDL, run in the one transaction that applies every missing step (migrate-schema.ts). */
  sql: string;
}

/**
 * Every step, in order. To change the schema, append a step with the next version; a server at an older version
 * gets the missing steps on the next run, and an older runner refuses a newer schema.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    // The tables as bulkhead created them before the schema was versioned, hence IF NOT EXISTS: a server that
    // already has them keeps them, with their rows, and records this step as applied.
    name: 'reject and progress tables',
    sql: `
      CREATE TABLE IF NOT EXISTS bulkhead.import_rejects (
        import text NOT NULL, line bigint NOT NULL, column_name text NOT NULL, reason text NOT NULL, value text,
        recorded_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX IF NOT EXISTS import_rejects_import_line ON bulkhead.import_rejects (import, line);
      CREATE TABLE IF NOT EXISTS bulkhead.import_progress (
        import text PRIMARY KEY, phase text NOT NULL, rows_done bigint NOT NULL, rows_total bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now());`,
  },
  {
    version: 2,
    // Rejects hold raw CSV values. When several roles import into one database, each sees, clears and counts only
    // the rows it wrote: every row carries its role, and row-level security (FORCEd, so the tables' owner too)
    // hides the rest. Rows from before this step belong to the role that applied it. Superusers and BYPASSRLS
    // roles see every row. Progress is keyed by role too, so two roles' imports of one name do not collide.
    name: 'rows owned by the role that wrote them',
    sql: `
      ALTER TABLE bulkhead.import_rejects ADD COLUMN owner text NOT NULL DEFAULT current_user,
        ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
      CREATE POLICY own_rows ON bulkhead.import_rejects USING (owner = current_user) WITH CHECK (owner = current_user);
      ALTER TABLE bulkhead.import_progress ADD COLUMN owner text NOT NULL DEFAULT current_user,
        DROP CONSTRAINT import_progress_pkey, ADD PRIMARY KEY (owner, import),
        ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
      CREATE POLICY own_rows ON bulkhead.import_progress USING (owner = current_user) WITH CHECK (owner = current_user);`,
  },
];

/** The schema version this runner was built for. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
