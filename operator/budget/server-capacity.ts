import type { StatsVisibility } from './budget-accurate.js';
import { headroomConnections, type Headroom } from './headroom.js';

/** What one PostgreSQL server reports about its connection slots (see sql/read-server-snapshot.ts). */
export interface ServerSnapshot {
  maxConnections: number;
  /** superuser_reserved_connections + reserved_connections (the latter exists from PostgreSQL 16). */
  reservedConnections: number;
  /** Client backends by application_name, as counted in pg_stat_activity (hidden rows included, see sql/). */
  connectionsByApplication: ReadonlyMap<string, number>;
  /** Whether the role that read it sees every session, and how many it could not see into. */
  visibility: StatsVisibility;
}

/** The budget's view of one server: the numbers `bulkhead budget` prints and the operator exports. */
export interface ServerCapacity {
  maxConnections: number;
  reserved: number;
  /** Connections in use that no grant accounts for: other applications, the operator itself, strays. */
  external: number;
  headroom: number;
  /** What grants may add up to: max − reserved − external − headroom, never below 0. */
  capacity: number;
}

/**
 * Computes the capacity left for grants. `granted` maps each grant holder's application_name to the connections
 * it was granted; a holder's sessions count as external only beyond its grant, so a runner that is connecting
 * is not counted twice (once in its grant and once as in use) and a runner over its grant is not hidden.
 */
export function serverCapacity(snapshot: ServerSnapshot, headroom: Headroom, granted: ReadonlyMap<string, number>): ServerCapacity {
  const reserved = snapshot.reservedConnections;
  const usable = Math.max(0, snapshot.maxConnections - reserved);
  let external = 0;
  for (const [application, inUse] of snapshot.connectionsByApplication) {
    external += Math.max(0, inUse - (granted.get(application) ?? 0));
  }
  const kept = headroomConnections(headroom, usable);
  return {
    maxConnections: snapshot.maxConnections,
    reserved,
    external,
    headroom: kept,
    capacity: Math.max(0, usable - external - kept),
  };
}
