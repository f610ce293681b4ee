/**
 * What every real-node scenario needs: kubectl on the e2e cluster (test/e2e/node), the PostgreSQL that run-e2e.ts
 * started (reached from the host on loopback, from pods on the pod bridge's gateway), a namespace that enforces the
 * `restricted` Pod Security Standard, and a database with a login role of its own whose URL is in a Secret there.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { DATABASE_SECRET_LABEL } from '../../operator/database/database-secret.js';
import { kubectlFor, waitFor, type Kubectl } from '../harness/kubectl.js';
import { runCli } from '../harness/run-cli.js';
import { toolPath } from '../harness/tools.js';

/** The variables run-e2e.ts hands every scenario file. */
function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the real-node suite with \`npm run test:e2e\``);
  return value;
}

export const IMAGE = setting('BULKHEAD_E2E_IMAGE');
export const NODE_NAME = setting('BULKHEAD_E2E_NODE');
/** Where the scenario files may put host paths for hostPath PersistentVolumes (readable by the pods' UID). */
export const HOST_DATA_DIR = setting('BULKHEAD_E2E_DATA_DIR');
const ADMIN_URL = setting('BULKHEAD_E2E_DATABASE_URL');
const POD_DB_HOST = setting('BULKHEAD_E2E_POD_DB_HOST');

export const k: Kubectl = kubectlFor(setting('KUBECONFIG'));
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(setting('KUBECONFIG'));
/** The API, for reads too frequent for a kubectl process each (the seed scenario's sampler). */
export const customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
/** The API server's URL, from the kubeconfig. */
export const API_SERVER = kubeConfig.getCurrentCluster()!.server;

/** The chart's release, installed by 01-chart.e2e.ts. */
export const RELEASE = { name: 'bulkhead', namespace: 'bulkhead-system', chart: fileURLToPath(new URL('../../../charts/bulkhead', import.meta.url)) };

/** The namespaces of the scenario files: the chart is installed watching exactly these, with a Role in each. */
export const SCENARIO_NAMESPACES = ['e2e-imports', 'e2e-workers', 'e2e-seed', 'e2e-faults'];

/**
 * Gives the operator its Role in a scenario namespace again: scenario() deletes and makes the namespace anew, which
 * takes the Role that `helm install` put there with it. The objects are the chart's own (`helm template` of
 * templates/rbac.yaml for that namespace), annotated as the release's so that a later `helm upgrade` adopts them.
 */
function grantOperator(namespace: string): Promise<string> {
  const out = execFileSync(toolPath('helm'), [
    'template', RELEASE.name, RELEASE.chart, '--namespace', RELEASE.namespace, '--show-only', 'templates/rbac.yaml', '--set', `namespaces={${namespace}}`,
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const release = { 'meta.helm.sh/release-name': RELEASE.name, 'meta.helm.sh/release-namespace': RELEASE.namespace };
  const objects = parseAllDocuments(out)
    .map((d) => d.toJS() as { metadata: { annotations?: Record<string, string> } } | null)
    .filter((o) => o !== null)
    .map((o) => ({ ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...release } } }));
  return kubectlOk(['apply', '-f', '-'], objects.map((o) => stringify(o)).join('---\n'));
}

/** The label on cluster-wide objects (PersistentVolumes) that a scenario makes, for the clean-up. */
const SCENARIO_LABEL = 'e2e.bulkhead.dev/scenario';

/** One scenario's database: a role and a database of its own, the URL pods use, and a pool for the test's SQL. */
export interface ScenarioDatabase {
  name: string;
  /** The URL from the host (for `bulkhead queue init` and the test's own checks). */
  hostUrl: string;
  /** The URL from a pod, as the Secret holds it. */
  podUrl: string;
  pool: pg.Pool;
}

/** Runs kubectl and throws with its stderr when it fails; returns stdout. */
export async function kubectlOk(args: string[], stdin?: string): Promise<string> {
  const r = await k.kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * A namespace whose pods must pass the `restricted` Pod Security Standard (the built-in PodSecurity admission
 * refuses any other), with a Secret `pg` (labelled bulkhead.dev/database=true) holding the URL of a new database owned by a new role, and the
 * operator's Role in it. The namespace and the
 * PersistentVolumes made for it go away after the file's tests. Call at module level, not in a before() hook (where
 * the clean-up would attach to the first test instead of the file).
 */
export async function scenario(name: string): Promise<ScenarioDatabase> {
  if (!SCENARIO_NAMESPACES.includes(name)) throw new Error(`scenario ${name}: add it to SCENARIO_NAMESPACES in e2e-env.ts, the namespaces the operator watches`);
  // What an interrupted earlier run (BULKHEAD_E2E_KEEP=1) left behind.
  await kubectlOk(['delete', 'namespace', name, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  await k.createNamespace(name);
  await kubectlOk(['label', 'namespace', name, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
  await grantOperator(name);
  const db = name.replace(/[^a-z0-9]+/g, '_');
  const password = randomBytes(12).toString('hex');
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${db}`);
    // pg_monitor: the operator's budget counts other roles' sessions in pg_stat_activity.
    await admin.query(`CREATE ROLE ${db} LOGIN PASSWORD '${password}' IN ROLE pg_monitor`);
    await admin.query(`CREATE DATABASE ${db} OWNER ${db}`);
  } finally {
    await admin.end();
  }
  const url = (host: string, port: string) => `postgres://${db}:${password}@${host}:${port}/${db}`;
  const port = new URL(ADMIN_URL).port;
  const database: ScenarioDatabase = { name: db, hostUrl: url('127.0.0.1', port), podUrl: url(POD_DB_HOST, port), pool: new pg.Pool({ connectionString: url('127.0.0.1', port), max: 2, idleTimeoutMillis: 0 }) };
  database.pool.on('error', (err) => process.stderr.write(`scenario pool: ${err.message}\n`));
  // On stdin, not the command line (where the password would show in the process list), with the opt-in label that
  // lets the operator use it (a Secret without it is refused with condition SecretNotLabelled).
  await kubectlOk(['apply', '-f', '-'], stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pg', namespace: name, labels: { [DATABASE_SECRET_LABEL]: 'true' } }, stringData: { uri: database.podUrl } }));
  after(async () => {
    await database.pool.end();
    await k.kubectl(['delete', 'namespace', name, '--wait=true', '--timeout=120s']);
    await k.kubectl(['delete', 'pv', '-l', `${SCENARIO_LABEL}=${name}`, '--wait=false']);
  });
  return database;
}

/** The CR's status as kubectl sees it. */
export async function status<T>(resource: string, name: string, namespace: string): Promise<T | undefined> {
  return (await k.getJson<{ status?: T }>(resource, name, namespace))?.status;
}

/** Polls a CR until done(status); fails with the last status seen. */
export async function waitStatus<T>(resource: string, name: string, namespace: string, what: string, done: (s: T) => boolean, timeoutMs = 180_000): Promise<T> {
  return waitFor(async () => {
    const s = await status<T>(resource, name, namespace);
    return { done: s !== undefined && done(s), value: s as T };
  }, { what: `${resource}/${name} ${what}`, timeoutMs, intervalMs: 500 });
}

/** A pod as the tests read it. */
export interface Pod {
  metadata: { name: string; uid: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string }[]; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { name: string; image: string; imagePullPolicy?: string }[] };
  status: {
    phase?: string;
    containerStatuses?: {
      ready?: boolean;
      restartCount?: number;
      state?: { running?: { startedAt: string }; terminated?: { exitCode: number; message?: string; reason?: string }; waiting?: { reason?: string } };
      lastState?: { terminated?: { exitCode: number; message?: string } };
    }[];
  };
}

/** The pods matching a label selector. */
export async function pods(namespace: string, selector: string): Promise<Pod[]> {
  return (JSON.parse(await kubectlOk(['-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json'])) as { items: Pod[] }).items;
}

/** Whether a pod's container is running (not only the pod scheduled). */
export function running(pod: Pod): boolean {
  return pod.status.containerStatuses?.[0]?.state?.running !== undefined && pod.metadata.deletionTimestamp === undefined;
}

/** A YAML manifest from an object. */
export function manifest(object: object): string {
  return stringify(object);
}

/** A CSV of advertisers with ids from..to (inclusive), in the seed scenario's columns. */
export function advertisersCsv(from: number, to: number): string {
  const lines = ['advertiser_id,advertiser_name,country,created_at,spend'];
  for (let i = from; i <= to; i++) lines.push(`${i},"Advertiser ${i}, Inc.",${i % 3 === 0 ? 'US' : 'DE'},2026-01-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z,${(i * 7) % 5000}.${String(i % 100).padStart(2, '0')}`);
  return `${lines.join('\n')}\n`;
}

/** A CsvImport of public.advertisers with the Secret `pg`; source and extra spec fields as given. */
export function advertisersImport(namespace: string, name: string, source: object, spec: object = {}, annotations: Record<string, string> = {}): string {
  return manifest({
    apiVersion: 'bulkhead.dev/v1alpha1',
    kind: 'CsvImport',
    metadata: { name, namespace, annotations },
    spec: { database: { secretRef: { name: 'pg' } }, source, target: { table: 'public.advertisers', key: ['advertiser_id'] }, ...spec },
  });
}

/** A StressRun of sleep workers on creatives_fresh with the Secret `pg`. */
export function creativesStressRun(namespace: string, name: string, workers: number, queue: object = {}, processor: object = {}): string {
  return manifest({
    apiVersion: 'bulkhead.dev/v1alpha1',
    kind: 'StressRun',
    metadata: { name, namespace },
    spec: {
      database: { secretRef: { name: 'pg' } },
      queue: { table: 'creatives_fresh', idColumn: 'id', statusColumn: 'status', urlColumn: 'creative_url', batchSize: 10, leaseSeconds: 30, maxAttempts: 3, ...queue },
      processor: { type: 'sleep', sleep: { minMs: 20, maxMs: 60, failureRate: 0 }, ...processor },
      workers,
      connectionsPerWorker: 1,
    },
  });
}

/** Counts of the queue table by status. */
export async function queueCounts(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM creatives_fresh GROUP BY status');
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/**
 * A PersistentVolumeClaim `claimName` bound to a hostPath PersistentVolume that holds `files` (path → text), readable
 * by the pods' non-root UID. The PersistentVolume goes away with the scenario.
 */
export async function hostPathClaim(namespace: string, claimName: string, files: Record<string, string>): Promise<void> {
  const dir = join(HOST_DATA_DIR, `${namespace}-${claimName}`);
  for (const [path, text] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, text);
    chmodSync(file, 0o644);
  }
  chmodSync(dir, 0o755);
  const pv = `${namespace}-${claimName}`;
  await kubectlOk(['apply', '-f', '-'], [
    manifest({
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: pv, labels: { [SCENARIO_LABEL]: namespace } },
      spec: {
        capacity: { storage: '1Gi' }, accessModes: ['ReadOnlyMany'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'manual',
        hostPath: { path: dir, type: 'Directory' }, claimRef: { namespace, name: claimName },
      },
    }),
    manifest({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: claimName, namespace },
      spec: { accessModes: ['ReadOnlyMany'], storageClassName: 'manual', volumeName: pv, resources: { requests: { storage: '1Gi' } } },
    }),
  ].join('---\n'));
}

/** A ConfigMap with one key holding `text` (a file, for sizes beyond a command line). */
export async function configMapFile(namespace: string, name: string, key: string, text: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-e2e-'));
  try {
    writeFileSync(join(dir, key), text);
    await kubectlOk(['-n', namespace, 'create', 'configmap', name, `--from-file=${key}=${join(dir, key)}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The seed scenario's advertisers table, with `existing` rows already in it (so the merge is not the fast path). */
export async function advertisersTable(pool: pg.Pool, existing = 0): Promise<void> {
  await pool.query(readFileSync(new URL('../../../examples/seed-scenario/advertisers-table.sql', import.meta.url), 'utf8'));
  if (existing > 0) {
    await pool.query(`INSERT INTO advertisers (advertiser_id, advertiser_name, advertiser_name_normalized, country, created_at, spend)
      SELECT g, 'Existing advertiser ' || g, 'existing advertiser ' || g, 'US', '2024-01-01T00:00:00Z', g % 1000 FROM generate_series(1, $1::int) g`, [existing]);
  }
}

/** The seed scenario's queue table with `rows` pending creatives, prepared by `bulkhead queue init`. */
export async function creativesQueue(database: ScenarioDatabase, rows: number): Promise<void> {
  const sql = readFileSync(new URL('../../../examples/seed-scenario/creatives-table.sql', import.meta.url), 'utf8');
  await database.pool.query(sql.replace('generate_series(1, 10000)', `generate_series(1, ${rows})`));
  const init = await runCli(['queue', 'init', '--table', 'creatives_fresh', '--processor', 'sleep'], { env: { DATABASE_URL: database.hostUrl } });
  if (init.code !== 0) throw new Error(`bulkhead queue init failed: ${init.stderr}`);
}
