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
  {
    version: 3,
    // Merge pacing (runners/import/pacing). Workers publish a rolling latency summary, one row per worker process,
    // every second; a paced import reads it across every role through worker_latency(), which returns aggregates only,
    // so a tenant learns how loaded the server is, not whose workers run there. The table's RLS is not FORCEd: the
    // function runs as the schema owner and must see every row; other roles see and write only their own.
    // import_control carries live control from the operator to a running import (pause, pacing fields), and
    // import_progress the pacing state back to the operator's status.
    name: 'merge pacing: worker latency signals, live import control',
    sql: `
      CREATE TABLE bulkhead.worker_signals (
        owner text NOT NULL DEFAULT current_user, worker text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
        window_seconds real NOT NULL,
        claims int NOT NULL, claim_p50_ms real, claim_p95_ms real, claim_p99_ms real,
        completions int NOT NULL, completion_p50_ms real, completion_p95_ms real, completion_p99_ms real,
        PRIMARY KEY (owner, worker));
      ALTER TABLE bulkhead.worker_signals ENABLE ROW LEVEL SECURITY;
      CREATE POLICY own_rows ON bulkhead.worker_signals USING (owner = current_user) WITH CHECK (owner = current_user);
      CREATE FUNCTION bulkhead.worker_latency(within_seconds real)
        RETURNS TABLE (workers int, claims bigint, claim_p50_ms real, claim_p95_ms real, claim_p99_ms real,
                       completions bigint, completion_p50_ms real, completion_p95_ms real, completion_p99_ms real,
                       as_of timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
          SELECT count(*)::int, sum(claims)::bigint,
                 (sum(claim_p50_ms * claims) / nullif(sum(claims), 0))::real,
                 (sum(claim_p95_ms * claims) / nullif(sum(claims), 0))::real,
                 (sum(claim_p99_ms * claims) / nullif(sum(claims), 0))::real,
                 sum(completions)::bigint,
                 (sum(completion_p50_ms * completions) / nullif(sum(completions), 0))::real,
                 (sum(completion_p95_ms * completions) / nullif(sum(completions), 0))::real,
                 (sum(completion_p99_ms * completions) / nullif(sum(completions), 0))::real,
                 max(updated_at)
          FROM bulkhead.worker_signals WHERE updated_at > now() - make_interval(secs => within_seconds) $$;
      CREATE TABLE bulkhead.import_control (
        owner text NOT NULL DEFAULT current_user, import text NOT NULL, paused boolean NOT NULL DEFAULT false,
        pacing jsonb, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (owner, import));
      ALTER TABLE bulkhead.import_control ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
      CREATE POLICY own_rows ON bulkhead.import_control USING (owner = current_user) WITH CHECK (owner = current_user);
      ALTER TABLE bulkhead.import_progress ADD COLUMN pacing jsonb;`,
  },
];

/** The schema version this runner was built for. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
