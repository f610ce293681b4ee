/**
 * The real-node suite's runner (after test/e2e/run.sh brought the node up and imported the image): starts a
 * PostgreSQL that pods reach on the pod bridge's gateway, then runs the scenario files (*.e2e.js) one after another
 * with node's test runner, since they share the one node. Usage: node dist/test/e2e/run-e2e.js [filter...]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres } from '../../runners/shared/embedded-postgres.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv.slice(2);
const files = readdirSync(here)
  // 01-chart installs the operator that every other scenario uses, so a filter always keeps it.
  .filter((f) => f.endsWith('.e2e.js') && (filter.length === 0 || f.startsWith('01-') || filter.some((p) => f.includes(p))))
  .sort()
  .map((f) => join(here, f));

const podCidr = process.env.BULKHEAD_E2E_POD_CIDR ?? '10.89.0.0/16';
const gateway = process.env.BULKHEAD_E2E_POD_GATEWAY ?? '10.89.0.1';
const dataDir = join(process.env.BULKHEAD_E2E_DIR ?? '/var/tmp/bulkhead-e2e', 'host-data');
mkdirSync(dataDir, { recursive: true, mode: 0o755 });

// A small max_connections, so that the connection budget binds in the seed scenario: 20 − 3 reserved = 17 usable.
// Pods come in on the bridge with a password (scram-sha-256); each scenario gets a role of its own.
const server = await startEmbeddedPostgres({
  maxConnections: 20,
  settings: { listen_addresses: '*', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', password_encryption: 'scram-sha-256' },
  hba: [`host all postgres ${podCidr} reject`, `host all all ${podCidr} scram-sha-256`],
});
process.stderr.write(`e2e: PostgreSQL on port ${server.port}, reached from pods at ${gateway}:${server.port}\n`);

process.stderr.write(`e2e: running ${files.length} scenario files in order: ${files.map((f) => f.slice(here.length)).join(', ')}\n`);
const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
    stdio: 'inherit',
    env: {
      ...process.env,
      BULKHEAD_E2E_DATABASE_URL: server.url,
      BULKHEAD_E2E_POD_DB_HOST: gateway,
      BULKHEAD_E2E_DATA_DIR: dataDir,
    },
  });
  child.on('close', (c) => resolve(c ?? 1));
});
await server.stop();
process.exit(code);
