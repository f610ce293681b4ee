import { createConnection } from 'node:net';
import pg from 'pg';

/** Which part of bulkhead a connection belongs to; it becomes part of application_name. */
export type Role = 'import' | 'worker' | 'operator';

/** Where a runner connects and how it names its connections. */
export interface ConnectionSettings {
  /** A postgres:// URL, or undefined to let libpq-style PG* variables apply. */
  databaseUrl: string | undefined;
  /** bulkhead/<role>/<namespace>/<name>: how bulkhead's own sessions are told apart in pg_stat_activity. */
  applicationName: string;
}

/** application_name for a connection: bulkhead/<role>/<namespace>/<name>, within PostgreSQL's 63 bytes. */
export function applicationName(role: Role, namespace: string, name: string): string {
  return `bulkhead/${role}/${namespace}/${name}`.slice(0, 63);
}

/** pg client settings. pg reads PGHOST, PGUSER, PGPASSWORD, ... itself when no connection string is given. */
export function clientConfig(settings: ConnectionSettings): pg.ClientConfig {
  return {
    ...(settings.databaseUrl ? { connectionString: settings.databaseUrl } : {}),
    application_name: settings.applicationName,
    // literal() (COPY options, queue init's index predicates) assumes standard strings, whatever the server's default.
    options: '-c standard_conforming_strings=on',
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  };
}

/** A URL with its password (and any query string, which may carry one) removed, safe for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    // An unencoded '#' or '?' in a password makes the rest parse as fragment or query: show none of it.
    if (!u.username && url.includes('@')) return '<unparseable URL>';
    if (u.password) u.password = '***';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/**
 * Opens one connection. Failures name the server but never the password.
 *
 * The client has an 'error' listener from birth. A backend terminated while its client is idle (or in the same
 * socket read as the ReadyForQuery that ended startup or the last statement) emits 'error' with no query to fail,
 * and an 'error' event without a listener crashes the process. Here the loss surfaces instead as the failure of
 * the next statement; callers that want to react sooner add a listener of their own.
 */
export async function connect(settings: ConnectionSettings): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(settings));
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (cause) {
    const where = settings.databaseUrl ? redactUrl(settings.databaseUrl) : 'the server named by the PG* variables';
    throw new Error(`cannot connect to ${where}`, { cause });
  }
  return client;
}

/**
 * Asks the server to cancel whatever the client is running. A cancel request is a 16-byte message on a fresh
 * socket that the postmaster handles without starting a session, so it takes no connection slot and a stopping
 * runner never exceeds its grant. (pg's own Client.cancel relies on a deprecated accessor.)
 */
export function cancelRunningQuery(client: pg.Client): void {
  const { processID, secretKey, host, port } = client as unknown as { processID: number | null; secretKey: number | null; host: string; port: number };
  if (processID === null || secretKey === null) return;
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(80877102, 4); // the CancelRequest code
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  const socket = host.startsWith('/') ? createConnection(`${host}/.s.PGSQL.${port}`) : createConnection(port, host);
  socket.once('connect', () => socket.end(message));
  socket.once('error', () => socket.destroy());
  socket.setTimeout(5000, () => socket.destroy());
}
