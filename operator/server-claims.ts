import { InvalidInputError } from '../runners/shared/errors.js';
import { importClaim, stressRunClaim } from './budget/claims.js';
import type { Claim } from './budget/grant-connections.js';
import type { ServerBudget } from './budget/server-budget.js';
import type { ControllerContext } from './controller-context.js';
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

/** The server a CR's database Secret names, or undefined when the Secret is missing or malformed. */
async function serverOf(ctx: ControllerContext, cr: CsvImport | StressRun): Promise<string | undefined> {
  if (!cr.spec.database) return undefined;
  try {
    return (await ctx.secrets.get(cr.metadata.namespace, cr.spec.database.secretRef.name)).server;
  } catch (err) {
    if (err instanceof InvalidInputError) return undefined;
    throw err;
  }
}

/** Every active claim on a server, from the watch caches; held grants come from each CR's status. */
export async function claimsOnServer(ctx: ControllerContext, server: string): Promise<Claim[]> {
  const claims: Claim[] = [];
  for (const cr of ctx.watches.imports.list()) {
    if (!claiming(cr) || importFinished(cr) || cr.spec.source.path) continue;
    if ((await serverOf(ctx, cr)) !== server) continue;
    claims.push(claimOf('CsvImport', cr));
  }
  for (const cr of ctx.watches.stressRuns.list()) {
    if (!claiming(cr) || stressRunEnded(cr)) continue;
    if ((await serverOf(ctx, cr)) !== server) continue;
    claims.push(claimOf('StressRun', cr));
  }
  return claims;
}

/** Runs the budget for a server, records it in the metrics, and requeues every CR whose grant changed. */
export async function decideServer(ctx: ControllerContext, server: string, url: string, self: string): Promise<ServerBudget> {
  const claims = await claimsOnServer(ctx, server);
  ctx.pools.pool(server, url); // the registry reads the server's snapshot through this pool
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
