import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect as connectTcp, type AddressInfo, type Socket } from 'node:net';
import { connect } from '../../runners/shared/connection.js';
import { testDatabase } from '../harness/test-database.js';

const db = await testDatabase(import.meta.url);

/** ReadyForQuery with status idle: the last message of startup and of every statement. */
const READY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

/**
 * A proxy to the test server that, once `hold` is set, keeps the server's bytes from the first ReadyForQuery on
 * until release(), then delivers them in one write: the client reads its ReadyForQuery and whatever the server
 * sent after it in the same socket read.
 */
async function holdingProxy(): Promise<{ url: string; hold: () => void; release: () => void; close: () => void }> {
  const target = new URL(db.url);
  let holding = false;
  const held: Buffer[] = [];
  const sockets: Socket[] = [];
  let client: Socket | undefined;
  const server = createServer((socket) => {
    client = socket;
    const upstream = connectTcp(Number(target.port), target.hostname);
    sockets.push(socket, upstream);
    socket.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      const at = held.length > 0 ? 0 : holding ? d.indexOf(READY_IDLE) : -1;
      if (at < 0) return void socket.write(d);
      if (at > 0) socket.write(d.subarray(0, at));
      held.push(d.subarray(at));
    });
    for (const s of [socket, upstream]) s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(db.url);
  url.port = String((server.address() as AddressInfo).port);
  url.hostname = '127.0.0.1';
  return {
    url: url.toString(),
    hold: () => void (holding = true),
    release: () => void client?.write(Buffer.concat(held.splice(0))),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function terminate(applicationName: string): Promise<void> {
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
  assert.equal(rows[0]?.n, 1, `one backend named ${applicationName} to terminate`);
  for (let i = 0; i < 100; i++) {
    const left = await db.pool.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    if (left.rowCount === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`the backend named ${applicationName} did not exit`);
}

test('a backend terminated right after startup, its FATAL read together with ReadyForQuery, does not crash the process; the next statement fails', async () => {
  const proxy = await holdingProxy();
  try {
    proxy.hold();
    const name = 'bulkhead/worker/test/startup-race';
    const opening = connect({ databaseUrl: proxy.url, applicationName: name });
    for (let i = 0; i < 250; i++) {
      const { rowCount } = await db.pool.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'", [name]);
      if (rowCount === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await terminate(name);
    proxy.release();
    const client = await opening;
    await assert.rejects(client.query('SELECT 1'), /terminating connection|Connection terminated|not queryable/);
    await client.end().catch(() => undefined);
  } finally {
    proxy.close();
  }
});

test('a backend terminated while its client is idle does not crash the process; the next statement fails', async () => {
  const name = 'bulkhead/worker/test/idle-loss';
  const client = await connect({ databaseUrl: db.url, applicationName: name });
  const ended = new Promise((resolve) => client.once('end', resolve));
  await terminate(name);
  await ended;
  await assert.rejects(client.query('SELECT 1'), /terminating connection|Connection terminated|not queryable/);
});
