import type { Queryable } from '../../runners/shared/sql-query.js';
import { readServerSnapshot } from './sql/read-server-snapshot.js';
import type { ServerSnapshot } from './server-capacity.js';

/** Reads one server's connection slots and its client backends per application_name. */
export async function takeServerSnapshot(db: Queryable): Promise<ServerSnapshot> {
  const { rows } = await db.query<{ max_connections: number; reserved_connections: number; by_application: Record<string, number> }>(readServerSnapshot());
  const row = rows[0];
  if (!row) throw new Error('pg_stat_activity returned no row');
  return {
    maxConnections: row.max_connections,
    reservedConnections: row.reserved_connections,
    connectionsByApplication: new Map(Object.entries(row.by_application)),
  };
}
