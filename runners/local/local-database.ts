import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, redactUrl } from '../shared/connection.js';
import { BulkheadError, describeError } from '../shared/errors.js';

/** The server a local run uses. */
export interface LocalDatabase {
  url: string;
  embedded: boolean;
  /** Stops the embedded server; nothing for a server given by URL. */
  stop: () => Promise<void>;
}

const HELPER = fileURLToPath(new URL('./embedded-server-main.js', import.meta.url));

/**
 * Starts an embedded PostgreSQL with `maxConnections` (see embedded-server-main.ts), or checks that the given
 * server answers. Each failure says what to do.
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
  const helper = spawn(process.execPath, [HELPER, String(maxConnections)], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  const exited = once(helper, 'exit');
  const [line] = (await Promise.race([once(createInterface({ input: helper.stdout }), 'line'), exited.then(() => [''])])) as [string];
  const answer = (line ? JSON.parse(line) : { error: 'the embedded PostgreSQL helper exited without a word' }) as { url?: string; port?: number; error?: string; portTaken?: boolean };
  if (!answer.url) {
    throw new BulkheadError(answer.portTaken
      ? 'the embedded PostgreSQL could not bind its port: another program took it as PostgreSQL started, three times; run again, or pass --database-url to use a server of your own'
      : `${answer.error ?? ''}\nTo do: check the free disk space in the temp folder and the message above, or pass --database-url to use a server of your own`);
  }
  say(`embedded PostgreSQL on 127.0.0.1:${answer.port ?? '?'}`);
  return {
    url: answer.url,
    embedded: true,
    stop: async () => {
      helper.kill('SIGTERM');
      const timer = setTimeout(() => helper.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
