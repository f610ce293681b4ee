import type pg from 'pg';
import { cancelRunningQuery, connect, type ConnectionSettings } from './connection.js';
import { StoppedError } from './errors.js';
import type { SqlQuery } from './sql-query.js';

/**
 * One connection that stops cooperatively: when the stop signal fires, the running statement is cancelled with a
 * cancel request (which opens no extra session), and every later call throws StoppedError.
 */
export class Session {
  private constructor(
    readonly client: pg.Client,
    private readonly stop: AbortSignal,
    private readonly stopSignal: () => NodeJS.Signals,
  ) {
    stop.addEventListener('abort', () => cancelRunningQuery(client), { once: true });
  }

  /** Connects, and ties the connection to a stop signal. */
  static async open(settings: ConnectionSettings, stop: AbortSignal, stopSignal: () => NodeJS.Signals): Promise<Session> {
    const client = await connect(settings);
    // A dead client socket makes the server abandon the statement within a second rather than at its end (PG 14+).
    await client.query("SET client_connection_check_interval = '1s'").catch(() => undefined);
    return new Session(client, stop, stopSignal);
  }

  /** Throws StoppedError once a stop was requested. */
  checkStopped(): void {
    if (this.stop.aborted) throw new StoppedError(this.stopSignal());
  }

  /** Runs a query; if it fails because of a stop, the failure becomes StoppedError. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(q: SqlQuery | string): Promise<pg.QueryResult<R>> {
    this.checkStopped();
    try {
      return typeof q === 'string' ? await this.client.query<R>(q) : await this.client.query<R>(q);
    } catch (err) {
      this.checkStopped();
      throw err;
    }
  }

  /**
   * Runs a clean-up statement (dropping staging, releasing a lock) on every exit path, so it ignores the stop
   * signal. The cancel request sent at a stop may land after the statement it meant has finished and cancel this
   * one instead (a cancel cannot be aimed), so a statement cancelled that way is run once more.
   */
  async cleanup(q: SqlQuery): Promise<void> {
    await this.client.query(q).catch(async (err: { code?: string }) => {
      if (err.code !== '57014') throw err;
      await this.client.query(q);
    });
  }

  /** Runs fn in a transaction; rolls back on any failure, including a stop. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.query('BEGIN');
    try {
      const result = await fn();
      await this.client.query('COMMIT');
      return result;
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** The server's version as an integer, such as 180001. */
  async serverVersionNum(): Promise<number> {
    const { rows } = await this.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return Number(rows[0]?.v);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
