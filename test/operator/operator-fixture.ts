/**
 * What every operator test needs: a real control plane with the fake kubelet, an embedded PostgreSQL with the
 * max_connections the test asks for, a namespace with the database Secret, a local http server for CSV
 * sources, and `bulkhead operator` itself as a child process, driven and inspected with kubectl.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach } from 'node:test';
import pg from 'pg';
import { stringify } from 'yaml';
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from '../../runners/shared/embedded-postgres.js';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.js';
import { startFakeKubelet, type FakeKubelet } from '../harness/fake-kubelet.js';
import { kubectlFor, waitFor, type Kubectl } from '../harness/kubectl.js';
import { CLI } from '../harness/run-cli.js';
import { DATABASE_SECRET_LABEL } from '../../operator/database/database-secret.js';

/** A running `bulkhead operator`. */
export interface OperatorProcess {
  port: number;
  output: () => string;
  /** Resolves when the process exits on its own or otherwise, with its exit code and the time the test saw it. */
  exited: Promise<{ code: number | null; at: number }>;
  /** SIGTERM, and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** The whole environment of one operator test file. */
export interface OperatorEnv {
  cp: ControlPlane;
  kubelet: FakeKubelet;
  k: Kubectl;
  pg: EmbeddedServer;
  pool: pg.Pool;
  namespace: string;
  /** Serves CSV bodies at http://127.0.0.1:port/<name>; with `hold`, the second half waits until it resolves. */
  serveCsv(name: string, body: string, hold?: Promise<void>): string;
  /**
   * Starts `bulkhead operator` on this namespace; `identity` becomes its POD_NAME (its Lease identity). It talks to
   * the API server through `kubeconfig`, the control plane's own by default. Resolves once /readyz answers 200,
   * or at once with `waitReady: false`.
   */
  startOperator(extra?: string[], identity?: string, kubeconfig?: string, options?: { waitReady?: boolean }): Promise<OperatorProcess>;
  /** The status of a CR (or other object), as kubectl sees it. */
  status<T = Record<string, unknown>>(resource: string, name: string): Promise<T | undefined>;
  waitStatus<T>(resource: string, name: string, what: string, done: (status: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Stops everything; keeps the control plane's files (logs, pod logs) when asked. */
  stop(keepFiles: boolean): Promise<void>;
}

/**
 * Call at module level: stops the file's environment after its tests, keeping the files when a test failed.
 * (Hooks registered inside a before() hook would attach to the first test instead of the file.)
 */
export function stopAfterTests(env: () => OperatorEnv | undefined): void {
  let allPassed = true;
  afterEach((t) => {
    // TestContext.passed exists on Node 20.12+, though @types/node 20 does not declare it yet.
    if ((t as { passed?: boolean }).passed === false) allPassed = false;
  });
  after(() => env()?.stop(!allPassed));
}

/** Starts everything; everything is stopped after the file's tests (files are kept when one failed). */
export async function operatorEnv(options: { maxConnections: number; namespace: string; installCrds?: boolean }): Promise<OperatorEnv> {
  const cp = await startControlPlane({ installCrds: options.installCrds });
  const kubelet = await startFakeKubelet(cp.kubeconfig);
  const k = kubectlFor(cp.kubeconfig);
  const server = await startEmbeddedPostgres({ maxConnections: options.maxConnections, settings: { fsync: 'off', synchronous_commit: 'off' } });
  const pool = new pg.Pool({ connectionString: server.url, max: 2, application_name: 'operator-test' });
  pool.on('error', (err) => process.stderr.write(`test pool: an idle connection was dropped (${err.message})\n`));
  await k.createNamespace(options.namespace);
  await k.applyYaml(databaseSecret(options.namespace, 'pg-app', server.url));
  const bodies = new Map<string, { body: string; hold: Promise<void> | undefined }>();
  const http: Server = createServer((req, res) => {
    const found = bodies.get((req.url ?? '').slice(1));
    if (found === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/csv' });
    const half = found.body.indexOf('\n', Math.floor(found.body.length / 2)) + 1;
    res.write(found.body.slice(0, half));
    void (found.hold ?? Promise.resolve()).then(() => res.end(found.body.slice(half)));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const operators: ChildProcess[] = [];
  const status = async <T>(resource: string, name: string) => (await k.getJson<{ status?: T }>(resource, name, options.namespace))?.status;
  return {
    cp, kubelet, k, pg: server, pool, namespace: options.namespace,
    stop: async (keepFiles) => {
      for (const child of operators) if (child.exitCode === null) child.kill('SIGKILL');
      await kubelet.stop();
      await cp.stop({ keepFiles });
      http.close();
      await pool.end();
      await server.stop();
    },
    serveCsv: (name, body, hold) => {
      bodies.set(name, { body, hold });
      return `http://127.0.0.1:${(http.address() as AddressInfo).port}/${name}`;
    },
    startOperator: async (extra = [], identity = 'operator-test', kubeconfig = cp.kubeconfig, { waitReady = true } = {}) => {
      const port = await freePort();
      const child = spawn(process.execPath, [CLI, 'operator', '--kubeconfig', kubeconfig, '--namespaces', options.namespace, '--port', String(port),
        '--observe-interval-seconds', '1', '--resync-seconds', '2', '--headroom', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POD_NAMESPACE: options.namespace, POD_NAME: identity } });
      operators.push(child);
      const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      if (waitReady) await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        return { done: res?.status === 200, value: output.slice(-2000) || 'no output yet' };
      }, { what: 'the operator to be ready', timeoutMs: 30_000 });
      return {
        port,
        output: () => output,
        exited,
        stop: () => new Promise((resolve) => {
          if (child.exitCode !== null) return resolve(child.exitCode);
          child.once('exit', (code) => resolve(code));
          child.kill('SIGTERM');
        }),
      };
    },
    status,
    waitStatus: (resource, name, what, done, timeoutMs = 60_000) =>
      waitFor(async () => {
        const s = await status<Parameters<typeof done>[0]>(resource, name);
        return { done: s !== undefined && done(s), value: s as Parameters<typeof done>[0] };
      }, { what: `${resource}/${name} ${what}`, timeoutMs }),
  };
}

/** A database Secret with the key `uri`, opted in for bulkhead with its label unless `optIn` is false. */
export function databaseSecret(namespace: string, name: string, url: string, optIn = true): string {
  const labels = optIn ? { [DATABASE_SECRET_LABEL]: 'true' } : {};
  return stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels }, stringData: { uri: url } });
}

/** A CsvImport of the test table `items (id bigint primary key, name text not null, qty int)` from a URL. */
export function itemsImport(namespace: string, name: string, url: string, spec: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'bulkhead.dev/v1alpha1',
    kind: 'CsvImport',
    metadata: { name, namespace },
    spec: { database: { secretRef: { name: 'pg-app' } }, source: { url }, target: { table: 'items', key: ['id'] }, ...spec },
  });
}

/** CSV rows id,name,qty for ids from..to. */
export function itemsCsv(from: number, to: number, qty = 1): string {
  const lines = ['id,name,qty'];
  for (let i = from; i <= to; i++) lines.push(`${i},item ${i},${qty}`);
  return `${lines.join('\n')}\n`;
}

/** A StressRun over the queue table `jobs` with the noop or sleep processor. */
export function jobsStressRun(namespace: string, name: string, workers: number, spec: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'bulkhead.dev/v1alpha1',
    kind: 'StressRun',
    metadata: { name, namespace },
    spec: {
      database: { secretRef: { name: 'pg-app' } },
      queue: { table: 'jobs', idColumn: 'id', statusColumn: 'status', urlColumn: 'url' },
      processor: { type: 'sleep', sleep: { minMs: 20, maxMs: 40, failureRate: 0 } },
      workers,
      ...spec,
    },
  });
}

/** SQL for the queue table `jobs` with n pending rows and everything a worker needs. */
export function jobsTableSql(n: number): string {
  return `CREATE TABLE jobs (id bigserial PRIMARY KEY, status text NOT NULL DEFAULT 'pending', url text, attempts int NOT NULL DEFAULT 0,
  locked_by text, locked_at timestamptz, last_error text, updated_at timestamptz);
CREATE INDEX jobs_pending ON jobs (id) WHERE status = 'pending';
CREATE INDEX jobs_processing ON jobs (locked_at) WHERE status = 'processing';
INSERT INTO jobs (url) SELECT 'http://example.invalid/' || g FROM generate_series(1, ${n}) g;`;
}
