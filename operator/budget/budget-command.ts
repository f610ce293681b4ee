import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { applicationName, connect } from '../../runners/shared/connection.js';
import { resolveDatabaseUrl, type DatabaseUrlFlags } from '../../runners/shared/database-url.js';
import type { CsvImportSpec, CsvImportStatus } from '../../runners/shared/generated/csvimport.js';
import type { StressRunSpec, StressRunStatus } from '../../runners/shared/generated/stressrun.js';
import type { CsvImport } from '../csv-import/import-job.js';
import { SecretCache } from '../database/secret-cache.js';
import { claimOf } from '../server-claims.js';
import type { StressRun } from '../stress-run/worker-deployment.js';
import { GROUP, KINDS, VERSION, type CustomResource } from '../kube/custom-resource.js';
import { budgetAccuracy } from './budget-accurate.js';
import type { Claim } from './grant-connections.js';
import { DEFAULT_HEADROOM, describeHeadroom, parseHeadroom } from './headroom.js';
import { budgetServer } from './server-budget.js';
import { takeServerSnapshot } from './server-snapshot.js';

/** `bulkhead budget` flags. */
export interface BudgetFlags extends DatabaseUrlFlags {
  headroom?: string;
  kubeconfig?: string;
  json?: boolean;
}

type AnyCr = CustomResource<CsvImportSpec | StressRunSpec, CsvImportStatus & StressRunStatus>;

/**
 * The grants recorded in the cluster's CRs whose database Secret names this server. Reading them needs a
 * kubeconfig with list on the CRs and get on their Secrets, as an operator's or an admin's.
 */
async function clusterClaims(kubeconfig: string, server: string): Promise<Claim[]> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const secrets = new SecretCache(kc.makeApiClient(CoreV1Api));
  const claims: Claim[] = [];
  for (const kind of ['CsvImport', 'StressRun'] as const) {
    const list = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: KINDS[kind].plural })) as { items: AnyCr[] };
    for (const cr of list.items) {
      const ref = cr.spec.database?.secretRef.name;
      if (!ref) continue;
      const secret = await secrets.get(cr.metadata.namespace, ref).catch(() => undefined);
      if (secret?.server !== server) continue;
      claims.push(claimOf(kind, cr as CsvImport | StressRun));
    }
  }
  return claims;
}

/** Prints one server's budget: max, reserved, external, headroom, capacity, granted, free, and the grants. */
export async function budgetMain(flags: BudgetFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const headroom = flags.headroom ? parseHeadroom(flags.headroom) : DEFAULT_HEADROOM;
  const databaseUrl = resolveDatabaseUrl(flags, env);
  const client = await connect({ databaseUrl, applicationName: applicationName('operator', 'local', 'budget') });
  let snapshot;
  try {
    snapshot = await takeServerSnapshot(client);
  } finally {
    await client.end();
  }
  const server = `${client.host}:${client.port}`;
  const kubeconfig = flags.kubeconfig ?? env.KUBECONFIG;
  const claims = kubeconfig ? await clusterClaims(kubeconfig, server) : [];
  // Only what the CRs hold is shown as granted; `bulkhead budget` never grants anything itself.
  const held = claims.map((c) => ({ ...c, units: Math.min(c.units, c.held) }));
  const { capacity, ledger } = budgetServer(snapshot, headroom, held);
  const grants = held
    .filter((c) => c.held > 0)
    .map((c) => ({ claim: c.key, connections: c.held * c.connectionsPerUnit, inUse: snapshot.connectionsByApplication.get(c.application) ?? 0 }));
  const { hiddenSessions } = snapshot.visibility;
  const accuracy = budgetAccuracy(snapshot.visibility);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ server, ...capacity, granted: ledger.granted, free: ledger.free, accurate: accuracy.accurate, hiddenSessions, grants })}\n`);
    return 0;
  }
  const rows: [string, number][] = [
    ['max_connections', capacity.maxConnections],
    ['reserved', capacity.reserved],
    ['in use outside bulkhead', capacity.external],
    [`headroom (${describeHeadroom(headroom)})`, capacity.headroom],
    ['capacity', capacity.capacity],
    ['granted', ledger.granted],
    ['free', ledger.free],
  ];
  const lines = [`server ${server}`, ...rows.map(([k, v]) => `  ${k.padEnd(26)}${String(v).padStart(6)}`)];
  if (!accuracy.accurate) lines.push(`not accurate: ${hiddenSessions} session(s) of other roles counted as client backends unseen; ${accuracy.message}`);
  if (grants.length > 0) lines.push('grants:', ...grants.map((g) => `  ${g.claim.padEnd(48)} ${String(g.connections).padStart(4)} granted ${String(g.inUse).padStart(4)} in use`));
  else if (!kubeconfig) lines.push('(no kubeconfig given: grants recorded in the cluster are not shown; every session counts as external)');
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
