import type pg from 'pg';
import { connect, type ConnectionSettings } from '../shared/connection.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { SqlQuery } from '../shared/sql-query.js';
import { sleepUnlessStopped } from '../shared/stoppable-sleep.js';

/** SQLSTATE classes and socket errors that mean the connection is gone, not that the statement was wrong. */
const CONNECTION_LOST = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** Whether an error means the connection is gone (so the statement may be retried on a new one). */
function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: string; message?: string; cause?: unknown };
  if (e.code !== undefined && CONNECTION_LOST.has(e.code)) return true;
  if (/Connection terminated|terminating connection|not queryable|Client has encountered a connection error|connect ECONNREFUSED|the database system is (starting up|shutting down)/.test(e.message ?? '')) return true;
  // connect() wraps its failure ("cannot connect to ..."); the reason is the cause.
  return e.cause !== undefined && isConnectionLoss(e.cause);
}

/**
 * One connection that comes back: when the server drops it (pg_terminate_backend, a restart), the statement is
 * retried on a new connection after a backoff of 0.1 s doubling to 5 s, for as long as the worker runs. Only one
 * connection exists at a time, so the worker stays within its grant. Every statement sent through it must be safe
 * to repeat; onReconnect runs first on each new connection to repair what a lost answer left behind.
 */
export class QueueConnection {
  private client: pg.Client | undefined;
  /** Runs on each new connection after the first, before the retried statement. */
  onReconnect: ((client: pg.Client) => Promise<void>) | undefined;
  reconnects = 0;
  private everConnected = false;

  /** @param giveUp ends the retrying; until then a dropped connection is always retried, during shutdown too. */
  constructor(private readonly settings: ConnectionSettings, private readonly log: Logger, private readonly giveUp: AbortSignal) {}

  /** Runs a statement, reconnecting and retrying through connection loss until giveUp is signalled. */
  async query<R extends pg.QueryResultRow>(q: SqlQuery): Promise<pg.QueryResult<R>> {
    for (let delay = 100; ; delay = Math.min(delay * 2, 5000)) {
      try {
        const client = await this.connected();
        return await client.query<R>(q);
      } catch (err) {
        if (!isConnectionLoss(err)) throw err;
        this.drop();
        if (this.giveUp.aborted) throw err;
        this.log.warn({ event: 'reconnect', err: describeError(err), delayMs: delay }, `connection lost; reconnecting in ${delay} ms`);
        await sleepUnlessStopped(delay, this.giveUp);
      }
    }
  }

  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = await connect(this.settings);
    // The server terminated an idle connection: forget it now, so the next statement starts on a new one.
    client.on('error', () => {
      if (this.client === client) this.drop();
    });
    const isReconnect = this.everConnected;
    this.everConnected = true;
    this.client = client;
    if (isReconnect) {
      this.reconnects++;
      this.log.info({ event: 'reconnected', reconnects: this.reconnects }, 'reconnected');
      await this.onReconnect?.(client);
    }
    return client;
  }

  private drop(): void {
    const c = this.client;
    this.client = undefined;
    void c?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
