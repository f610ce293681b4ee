import pg from 'pg';
import { clientConfig } from '../../runners/shared/connection.js';
import type { Logger } from '../../runners/shared/logger.js';

/**
 * The operator's own connection to each PostgreSQL server: one pool of at most one session per server, opened
 * with the credentials of the first Secret that named the server. It reads the budget snapshot, samples
 * queues and import progress, observes lock waits and drops staging of deleted imports. It is not a runner, so
 * its session counts as external load in the budget like any other.
 */
export class ServerPools {
  private readonly pools = new Map<string, pg.Pool>();

  constructor(private readonly applicationName: string, private readonly log: Logger) {}

  /** The pool for a server, made from `url` the first time. */
  pool(server: string, url: string): pg.Pool {
    let pool = this.pools.get(server);
    if (!pool) {
      const config = clientConfig({ databaseUrl: url, applicationName: this.applicationName });
      // The operator must never queue behind its users' locks: a queue count blocked by someone's LOCK TABLE
      // would hold the one session and stall the lock-wait metrics that should report exactly that.
      const options = `${config.options ?? ''} -c lock_timeout=1000 -c statement_timeout=15000`.trim();
      pool = new pg.Pool({ ...config, options, max: 1, idleTimeoutMillis: 60_000 });
      pool.on('error', (err) => this.log.warn({ event: 'pg-pool-error', server, err: err.message }, 'an idle operator connection failed'));
      this.pools.set(server, pool);
    }
    return pool;
  }

  /** The pool for a server already seen, if any. */
  existing(server: string): pg.Pool | undefined {
    return this.pools.get(server);
  }

  servers(): string[] {
    return [...this.pools.keys()];
  }

  async end(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end().catch(() => undefined)));
    this.pools.clear();
  }
}
