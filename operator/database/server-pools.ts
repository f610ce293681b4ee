import pg from 'pg';
import { clientConfig } from '../../runners/shared/connection.js';
import type { Logger } from '../../runners/shared/logger.js';

/** A server and the credentials of one Secret that names it (the URL carries the password; it is never logged). */
export interface Credentials {
  server: string;
  url: string;
}

/**
 * The operator's own connections: one pool of at most one session per set of credentials, so that what a CR may
 * see (its queue, its import's progress, its staging tables) is read with that CR's own Secret, never another
 * team's. Per server, one of those pools is also the observer's: it reads the budget snapshot and the lock waits.
 *
 * Pools are keyed by the whole URL, password included, so a rotated password opens a new pool. `retain` closes the
 * pools no CR uses any more (the old password's among them) and forgets servers no CR names, so a dead server is not
 * observed forever. The operator is not a runner: its sessions count as external load in the budget.
 */
export class ServerPools {
  private readonly byUrl = new Map<string, { server: string; pool: pg.Pool }>();
  /** server -> the URL whose pool observes it. */
  private readonly observers = new Map<string, string>();

  constructor(private readonly applicationName: string, private readonly log: Logger) {}

  /** The pool of one Secret's credentials, opened the first time. */
  forCredentials({ server, url }: Credentials): pg.Pool {
    let entry = this.byUrl.get(url);
    if (!entry) {
      entry = { server, pool: this.open(server, url) };
      this.byUrl.set(url, entry);
    }
    return entry.pool;
  }

  /** Makes sure the server is observed, through these credentials unless another Secret's already serve. */
  observe(credentials: Credentials): void {
    const current = this.observers.get(credentials.server);
    if (current !== undefined && this.byUrl.has(current)) return;
    this.forCredentials(credentials);
    this.observers.set(credentials.server, credentials.url);
  }

  /** The observer pool of a server already seen, if any. */
  existing(server: string): pg.Pool | undefined {
    const url = this.observers.get(server);
    return url === undefined ? undefined : this.byUrl.get(url)?.pool;
  }

  /** The servers being observed. */
  servers(): string[] {
    return [...this.observers.keys()];
  }

  /**
   * Keeps the pools of `inUse` and closes every other. A server whose observer closed is observed through another
   * Secret in use that names it, or forgotten; returns the servers forgotten, whose metrics the caller drops.
   */
  async retain(inUse: Credentials[]): Promise<string[]> {
    const keep = new Set(inUse.map((c) => c.url));
    const closing: pg.Pool[] = [];
    for (const [url, entry] of this.byUrl) {
      if (keep.has(url)) continue;
      this.byUrl.delete(url);
      closing.push(entry.pool);
    }
    const forgotten: string[] = [];
    for (const [server, url] of this.observers) {
      if (this.byUrl.has(url)) continue;
      const other = inUse.find((c) => c.server === server);
      if (other) this.observe(other);
      else {
        this.observers.delete(server);
        forgotten.push(server);
      }
    }
    if (closing.length > 0) this.log.info({ event: 'pools-closed', count: closing.length, servers: forgotten }, 'closed the connections of Secrets no resource uses');
    await Promise.all(closing.map((p) => p.end().catch(() => undefined)));
    return forgotten;
  }

  async end(): Promise<void> {
    await this.retain([]);
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
}
