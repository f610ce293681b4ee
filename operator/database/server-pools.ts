import pg from 'pg';
import { clientConfig } from '../../runners/shared/connection.js';
import type { Logger } from '../../runners/shared/logger.js';

/**
 * The operator's own connections, pools of at most one session each. Per server, one pool opened with the
 * credentials of the first Secret that named the server reads the budget snapshot and observes lock waits. What a
 * CR may see (its queue, its import's progress, its staging tables) goes through a pool of that CR's own Secret's
 * credentials, never another team's: on a server shared by two roles and two databases, a StressRun's queue is
 * counted in its own database with its own role. The operator is not a runner, so its sessions count as external
 * load in the budget like any other.
 */
export class ServerPools {
  private readonly pools = new Map<string, { url: string; pool: pg.Pool }>();
  private readonly byCredentials = new Map<string, pg.Pool>();

  constructor(private readonly applicationName: string, private readonly log: Logger) {}

  /** The server's observation pool, made from `url` the first time. */
  pool(server: string, url: string): pg.Pool {
    let entry = this.pools.get(server);
    if (!entry) {
      entry = { url, pool: this.open(server, url) };
      this.pools.set(server, entry);
    }
    return entry.pool;
  }

  /** The pool of one Secret's credentials (the server's observation pool when it was made from the same ones). */
  forCredentials(server: string, url: string): pg.Pool {
    const shared = this.pools.get(server);
    if (shared?.url === url) return shared.pool;
    let pool = this.byCredentials.get(url);
    if (!pool) {
      pool = this.open(server, url);
      this.byCredentials.set(url, pool);
    }
    return pool;
  }

  private open(server: string, url: string): pg.Pool {
    const config = clientConfig({ databaseUrl: url, applicationName: this.applicationName });
    // The operator must never queue behind its users' locks: a queue count blocked by someone's LOCK TABLE
    // would hold the one session and stall the lock-wait metrics that should report exactly that.
    const options = `${config.options ?? ''} -c lock_timeout=1000 -c statement_timeout=15000`.trim();
    const pool = new pg.Pool({ ...config, options, max: 1, idleTimeoutMillis: 60_000 });
    pool.on('error', (err) => this.log.warn({ event: 'pg-pool-error', server, err: err.message }, 'an idle operator connection failed'));
    return pool;
  }

  /** The pool for a server already seen, if any. */
  existing(server: string): pg.Pool | undefined {
    return this.pools.get(server)?.pool;
  }

  servers(): string[] {
    return [...this.pools.keys()];
  }

  async end(): Promise<void> {
    const all = [...[...this.pools.values()].map((e) => e.pool), ...this.byCredentials.values()];
    await Promise.all(all.map((p) => p.end().catch(() => undefined)));
    this.pools.clear();
    this.byCredentials.clear();
  }
}
