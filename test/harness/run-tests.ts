/**
 * `npm test`'s runner: starts one embedded PostgreSQL for the whole run (unless DATABASE_URL names a server),
 * then runs every compiled *.test.js under dist/test with node's test runner. Each test file makes its own
 * database on that server (see test-database.ts). When operator or chart tests are selected, it first makes sure
 * test/tools/build-tools.sh has built their binaries (unless KUBEBUILDER_ASSETS provides them).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../runners/shared/embedded-postgres.js';

const distTest = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
// --postgres-only skips the suites that need no PostgreSQL of their own choosing (test/operator, which starts its own,
// and test/chart), for a second run against another server.
const postgresOnly = args.includes('--postgres-only');
const filter = args.filter((a) => !a.startsWith('--'));
const files = (readdirSync(distTest, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.js'))
  .map((f) => join(distTest, f))
  .filter((f) => filter.length === 0 || filter.some((p) => relative(distTest, f).includes(p)))
  .filter((f) => !postgresOnly || !/^(operator|chart)\//.test(relative(distTest, f)))
  .sort();

// A filter that matches nothing must not fall through to `node --test` with no files, which runs every test it finds.
if (files.length === 0) {
  process.stderr.write(`no test file under dist/test matches ${filter.join(', ')} (filters are matched against paths such as worker/worker-lease.test.js)\n`);
  process.exit(2);
}

// Operator and chart tests need kube-apiserver, etcd, kube-controller-manager, helm and promtool. build-tools.sh
// builds what is missing (minutes, once) and returns at once when all is cached; KUBEBUILDER_ASSETS replaces it.
const needsTools = files.some((f) => /^(operator|charts?)\b/.test(relative(distTest, f)));
if (needsTools && !process.env.KUBEBUILDER_ASSETS) {
  const script = fileURLToPath(new URL('../../../test/tools/build-tools.sh', import.meta.url));
  const built = await new Promise<number>((resolve) => {
    // Its progress (stderr) and its name=path lines (stdout) both go to our stderr.
    const child = spawn('bash', [script], { stdio: ['ignore', process.stderr, process.stderr] });
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (built !== 0) {
    process.stderr.write(`${script} failed (exit ${built}); the operator and chart tests need its binaries\n`);
    process.exit(built);
  }
}

let server: EmbeddedServer | undefined;
const env = { ...process.env };
if (process.env.DATABASE_URL) {
  env.BULKHEAD_TEST_DATABASE_URL = process.env.DATABASE_URL;
  process.stderr.write('tests use the server in DATABASE_URL\n');
} else {
  server = await startEmbeddedPostgres({ maxConnections: 100, settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } });
  env.BULKHEAD_TEST_DATABASE_URL = server.url;
  process.stderr.write(`tests use an embedded PostgreSQL on port ${server.port}\n`);
}
// The runners under test must not pick up the caller's DATABASE_URL; each test passes its own.
delete env.DATABASE_URL;

process.stderr.write(`running ${files.length} test files: ${files.map((f) => relative(distTest, f)).join(', ')}\n`);
const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...files], { env, stdio: 'inherit' });
  child.on('close', (c) => resolve(c ?? 1));
});
await server?.stop();
process.exit(code);
