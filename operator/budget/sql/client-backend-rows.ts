/**
 * The pg_stat_activity rows that take a max_connections slot, as SQL for a WHERE clause.
 *
 * A role without pg_read_all_stats (pg_monitor grants it; superusers pass) sees other roles' rows with
 * backend_type, state, query and wait_event NULL; only pid, datid, usesysid and application_name stay visible
 * (PostgreSQL 15 to 18 alike). Such a row is counted as a client backend when it has a database and a role:
 * other roles' client sessions, but also their parallel and logical replication workers, which take no slot of
 * max_connections. The count errs on the safe side: the budget may be smaller than it could be, never larger.
 * Auxiliary processes (checkpointer, walwriter, the launchers) have no database; autovacuum workers have no role.
 */
export const COUNTED_AS_CLIENT_BACKEND = `(backend_type = 'client backend' OR (backend_type IS NULL AND datid IS NOT NULL AND usesysid IS NOT NULL))`;
