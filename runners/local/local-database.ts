import { setTimeout as sleep } from 'node:timers/promises';
import { connect, redactUrl } from '../shared/connection.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../shared/embedded-postgres.js';
import { BulkheadError, describeError } from '../shared/errors.js';

/** The server a local run uses. */
export interface LocalDatabase {
  url: string;
  embedded: boolean;
  /** Stops the embedded server; nothing for a server given by URL. */
  stop: () => Promise<void>;
}

/** Ports PostgreSQL found taken between the free-port check and its bind: worth another port, not a failure. */
const PORT_TAKEN = /could not bind|Address already in use/i;

/**
 * Starts an embedded PostgreSQL with `maxConnections`, or checks that the given server answers. Each failure
 * says what to do: a busy port is retried on another one twice, then reported.
 */
export async function openLocalDatabase(databaseUrl: string | undefined, maxConnections: number, say: (line: string) => void): Promise<LocalDatabase> {
  if (databaseUrl !== undefined) {
    const client = await connect({ databaseUrl, applicationName: 'bulkhead/operator/local/local' }).catch((cause: unknown) => {
      throw new BulkheadError(`${describeError(cause)}. Check that the server runs and the URL is right, or leave out --database-url to use an embedded PostgreSQL`);
    });
    await client.end();
    say(`using ${redactUrl(databaseUrl)}`);
    return { url: databaseUrl, embedded: false, stop: () => Promise.resolve() };
  }
  say(`starting an embedded PostgreSQL (max_connections ${maxConnections})`);
  let server: EmbeddedServer | undefined;
  for (let attempt = 1; !server; attempt++) {
    const log: string[] = [];
    try {
      server = await startEmbeddedPostgres({ maxConnections, settings: { max_wal_size: '4GB' }, onLog: (l) => log.push(l) });
    } catch (err) {
      const taken = PORT_TAKEN.test(log.join('') + describeError(err));
      if (taken && attempt < 3) continue;
      throw new BulkheadError(taken
        ? 'the embedded PostgreSQL could not bind its port, which another program took as it started; run again, or pass --database-url to use a server of your own'
        : `${describeError(err)}\nTo do: check the free disk space in the temp folder and the message above, or pass --database-url to use a server of your own`);
    }
  }
  const started = server;
  say(`embedded PostgreSQL on 127.0.0.1:${started.port}`);
  return {
    url: started.url,
    embedded: true,
    // If the server already went down (a Ctrl-C at the terminal reaches it too), stop() would wait for an exit
    // that has happened; give it 10 s.
    stop: () => Promise.race([started.stop(), sleep(10_000)]),
  };
}
