import type { Logger } from '../../runners/shared/logger.js';
import type { Queryable } from '../../runners/shared/sql-query.js';
import type { ServerPools } from '../database/server-pools.js';
import type { OperatorMetrics } from '../operator-metrics.js';
import { readActivity } from './sql/read-activity.js';

/** Reads one server's activity and replaces its series in the metrics; lock waiters not `known` count as other. */
export async function observeServer(db: Queryable, server: string, metrics: OperatorMetrics, known?: (application: string) => boolean): Promise<void> {
  const { rows } = await db.query<{ by_state: Record<string, number>; lock_waiting: Record<string, number>; lock_wait_max: number }>(readActivity());
  const row = rows[0];
  if (row) metrics.setActivity(server, row.by_state, row.lock_waiting, row.lock_wait_max, known);
}

/**
 * Every interval, for each server the operator has a connection to: client backends by state, backends waiting
 * on locks by application, and the longest lock wait, as the operator metrics. Returns a stop function.
 */
export function observeServers(pools: ServerPools, metrics: OperatorMetrics, intervalMs: number, log: Logger, knownApplications: () => Set<string>): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async (): Promise<void> => {
    const known = knownApplications();
    for (const server of pools.servers()) {
      const pool = pools.existing(server);
      if (!pool) continue;
      try {
        await observeServer(pool, server, metrics, (application) => known.has(application));
      } catch (err) {
        log.warn({ event: 'observe-failed', server, err: err instanceof Error ? err.message : String(err) }, 'could not read pg_stat_activity');
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
  };
  timer = setTimeout(() => void tick(), 0);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
