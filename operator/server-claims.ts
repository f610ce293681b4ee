import { InvalidInputError } from '../runners/shared/errors.js';
import { importClaim, stressRunClaim } from './budget/claims.js';
import type { Claim } from './budget/grant-connections.js';
import type { ServerBudget } from './budget/server-budget.js';
import type { ControllerContext } from './controller-context.js';
import type { DatabaseSecret } from './database/database-secret.js';
import type { Credentials } from './database/server-pools.js';
import { describeApiError } from './kube/api-errors.js';
import { importFinished } from './csv-import/decide-import.js';
import type { CsvImport } from './csv-import/import-job.js';
import { stressRunEnded } from './stress-run/decide-stress-run.js';
import type { StressRun } from './stress-run/worker-deployment.js';

/** A CR with a database, not finished, not being deleted: it claims connections. */
function claiming(cr: CsvImport | StressRun): boolean {
  return !!cr.spec.database && !cr.metadata.deletionTimestamp;
}

/** A CR's claim, with the grant its status records as held (also what `bulkhead budget` shows). */
export function claimOf(kind: 'CsvImport' | 'StressRun', cr: CsvImport | StressRun): Claim {
  const owner = { namespace: cr.metadata.namespace, name: cr.metadata.name, createdAt: String(cr.metadata.creationTimestamp ?? '') };
  return kind === 'CsvImport'
    ? importClaim(owner, (cr as CsvImport).spec, (cr as CsvImport).status?.grantedConnections ?? 0)
    : stressRunClaim(owner, (cr as StressRun).spec, (cr as StressRun).status?.grantedWorkers ?? 0);
}

/** A CR's database Secret, or undefined when it is missing or malformed (the CR's own reconcile says so). */
async function secretOf(ctx: ControllerContext, cr: CsvImport | StressRun): Promise<DatabaseSecret | undefined> {
  if (!cr.spec.database) return undefined;
  try {
    return await ctx.secrets.get(cr.metadata.namespace, cr.spec.database.secretRef.name);
  } catch (err) {
    if (err instanceof InvalidInputError) return undefined;
    throw err;
  }
}

/** Every CR that claims connections now, from the watch caches, with its claim and its Secret. */
async function activeClaims(ctx: ControllerContext): Promise<{ claim: Claim; secret: DatabaseSecret }[]> {
  const crs: (readonly ['CsvImport' | 'StressRun', CsvImport | StressRun])[] = [
    ...ctx.watches.imports.list().filter((cr) => !importFinished(cr) && !cr.spec.source.path).map((cr) => ['CsvImport', cr] as const),
    ...ctx.watches.stressRuns.list().filter((cr) => !stressRunEnded(cr)).map((cr) => ['StressRun', cr] as const),
  ];
  const active: { claim: Claim; secret: DatabaseSecret }[] = [];
  for (const [kind, cr] of crs) {
    if (!claiming(cr)) continue;
    const secret = await secretOf(ctx, cr);
    if (secret) active.push({ claim: claimOf(kind, cr), secret });
  }
  return active;
}

/** Every active claim on a server; held grants come from each CR's status. */
export async function claimsOnServer(ctx: ControllerContext, server: string): Promise<Claim[]> {
  return (await activeClaims(ctx)).filter((a) => a.secret.server === server).map((a) => a.claim);
}

/**
 * Closes the connections of Secrets no active CR uses (a rotated password's, a finished run's) and forgets servers
 * no CR names, with their budget and metrics, so that a dead server is not observed forever. Runs on each resync.
 */
export async function closeUnusedPools(ctx: ControllerContext): Promise<void> {
  try {
    const inUse = (await activeClaims(ctx)).map((a) => a.secret);
    for (const server of await ctx.pools.retain(inUse)) {
      ctx.registry.forget(server);
      ctx.metrics.forgetServer(server);
    }
  } catch (err) {
    ctx.log.warn({ event: 'pool-sweep-failed', err: describeApiError(err) }, 'could not tell which database Secrets are in use');
  }
}

/** Runs the budget for a server, records it in the metrics, and requeues every CR whose grant changed. */
export async function decideServer(ctx: ControllerContext, secret: Credentials, self: string): Promise<ServerBudget> {
  const { server } = secret;
  const claims = await claimsOnServer(ctx, server);
  ctx.pools.observe(secret); // the registry reads the server's snapshot through this pool
  const { budget, changed } = await ctx.registry.decide(server, claims);
  ctx.metrics.setBudget(server, budget);
  for (const key of changed) if (key !== self) ctx.queue.add(key);
  return budget;
}

/** After a grant was released on a server, others waiting there get another look. */
export function requeueServer(ctx: ControllerContext, skip: string): void {
  for (const cr of ctx.watches.imports.list()) if (!importFinished(cr)) enqueueIfNot(ctx, `CsvImport/${cr.metadata.namespace}/${cr.metadata.name}`, skip);
  for (const cr of ctx.watches.stressRuns.list()) if (!stressRunEnded(cr)) enqueueIfNot(ctx, `StressRun/${cr.metadata.namespace}/${cr.metadata.name}`, skip);
}

function enqueueIfNot(ctx: ControllerContext, key: string, skip: string): void {
  if (key !== skip) ctx.queue.add(key);
}
