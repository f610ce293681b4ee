import type { Queryable } from '../../runners/shared/sql-query.js';
import { readServerSnapshot } from './sql/read-server-snapshot.js';
import type { ServerSnapshot } from './server-capacity.js';

interface SnapshotRow {
  max_connections: number;
  reserved_connections: number;
  role: string;
  stats_visible: boolean;
  by_application: Record<string, number>;
  hidden_sessions: number;
}

/** Reads one server's connection slots, its client backends per application_name, and what this role can see. */
export async function takeServerSnapshot(db: Queryable): Promise<ServerSnapshot> {
  const { rows } = await db.query<SnapshotRow>(readServerSnapshot());
  const row = rows[0];
  if (!row) throw new Error('pg_stat_activity returned no row');
  return {
    maxConnections: row.max_connections,
    reservedConnections: row.reserved_connections,
    connectionsByApplication: new Map(Object.entries(row.by_application)),
    visibility: { role: row.role, statsVisible: row.stats_visible, hiddenSessions: row.hidden_sessions },
  };
}
