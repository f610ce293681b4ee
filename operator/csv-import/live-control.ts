import { describeError } from '../../runners/shared/errors.js';
import type { ControllerContext } from '../controller-context.js';
import type { DatabaseSecret } from '../database/database-secret.js';
import type { CsvImport } from './import-job.js';
import { PAUSED_ANNOTATION } from './import-run.js';
import { deleteImportControl, writeImportControl, type ImportControl } from './sql/import-control.js';

/** What the CR asks of its running import now: paused while the annotation is "true", and spec.merge.pacing. */
export function importControl(cr: CsvImport): ImportControl {
  return { paused: cr.metadata.annotations?.[PAUSED_ANNOTATION] === 'true', pacing: cr.spec.merge.pacing ?? null };
}

/**
 * Hands the CR's live control to its run through bulkhead.import_control, with the import's own Secret (the
 * runner's role, which row-level security makes the row's owner): before the Job is created, and on every
 * reconcile while it is admitted or running, so a change reaches the runner at its next chunk. Best effort: a
 * failure is logged and the next reconcile (every 5 s while running) writes again; the run is not held up for it.
 */
export async function applyLiveControl(ctx: ControllerContext, cr: CsvImport, secret: DatabaseSecret): Promise<void> {
  const { namespace, name } = cr.metadata;
  const control = importControl(cr);
  try {
    const written = await writeImportControl(ctx.pools.forCredentials(secret), `${namespace}/${name}`, control);
    if (written === 'changed') {
      ctx.log.info({ event: 'import-control', object: `${namespace}/${name}`, paused: control.paused, paced: control.pacing !== null }, 'live control of the import written');
    }
  } catch (err) {
    ctx.log.warn({ event: 'import-control-failed', object: `${namespace}/${name}`, err: describeError(err) }, 'could not write the live control of the import; trying again on the next reconcile');
  }
}

/** Deletes a deleted CsvImport's row of bulkhead.import_control; a failure is logged, the row is small and harmless. */
export async function forgetLiveControl(ctx: ControllerContext, secret: DatabaseSecret, namespace: string, name: string): Promise<void> {
  try {
    await deleteImportControl(ctx.pools.forCredentials(secret), `${namespace}/${name}`);
  } catch (err) {
    ctx.log.warn({ event: 'import-control-delete-failed', object: `${namespace}/${name}`, err: describeError(err) }, 'could not delete the live control of the import');
  }
}
