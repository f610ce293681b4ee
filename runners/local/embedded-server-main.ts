/**
 * The embedded PostgreSQL of `bulkhead local`, in a process of its own. local-database.ts starts it detached, in
 * a process group of its own, so a Ctrl-C at the terminal reaches `bulkhead local` only: PostgreSQL keeps running
 * while the runners shut down cleanly, and is stopped last. It prints one JSON line on stdout, {"url","port"} or
 * {"error","portTaken"}, stops the server on SIGTERM, and also when its stdin closes: `bulkhead local` died, and no
 * server is left behind.
 */
import { startEmbeddedPostgres, type EmbeddedServer } from '../shared/embedded-postgres.js';
import { describeError } from '../shared/errors.js';

/** PostgreSQL found its port taken between the free-port check and its bind: worth another port. */
const PORT_TAKEN = /could not bind|Address already in use/i;

const maxConnections = Number(process.argv[2]);
let server: EmbeddedServer | undefined;
for (let attempt = 1; !server; attempt++) {
  const log: string[] = [];
  try {
    server = await startEmbeddedPostgres({ maxConnections, settings: { max_wal_size: '4GB' }, onLog: (l) => log.push(l) });
  } catch (err) {
    const error = describeError(err);
    const portTaken = PORT_TAKEN.test(log.join('') + error);
    if (portTaken && attempt < 3) continue;
    process.stdout.write(`${JSON.stringify({ error, portTaken })}\n`);
    process.exit(1);
  }
}
const running = server;
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  running.stop().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop).on('error', stop).resume();
process.stdout.write(`${JSON.stringify({ url: running.url, port: running.port })}\n`);
