import { createHash } from 'node:crypto';
import type { Session } from '../shared/session.js';
import type { Logger } from '../shared/logger.js';
import { releaseImportLock, tryImportLock } from './sql/import-lock.js';
import { listStaging } from './sql/list-staging.js';
import { dropTable } from './sql/drop-table.js';

/** The schema that holds every import's staging tables. */
export const STAGING_SCHEMA = 'bulkhead';

/** The two staging tables of one import, named from its identity (namespace/name). */
export interface StagingNames {
  /** Shared prefix of both tables, and the advisory-lock key. */
  base: string;
  /** Raw CSV text plus line numbers. */
  stage: string;
  /** Typed, de-duplicated rows in key order, the merge source. */
  ready: string;
}

/** Readable, unique and within PostgreSQL's 63-byte identifiers: a slug of the identity plus a hash of it. */
export function stagingNames(namespace: string, name: string): StagingNames {
  const identity = `${namespace}/${name}`;
  const slug = identity.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 40);
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 8);
  const base = `${slug}_${hash}`;
  return { base, stage: `${base}_stage`, ready: `${base}_ready` };
}

/** Takes the lock of the import whose staging tables start with `base`; false when another run holds it. */
export async function lockImport(session: Session, base: string): Promise<boolean> {
  const { rows } = await session.query<{ locked: boolean }>(tryImportLock(base));
  return rows[0]?.locked === true;
}

/** Releases the lock taken by lockImport. */
export async function unlockImport(session: Session, base: string): Promise<void> {
  await session.cleanup(releaseImportLock(base));
}

/**
 * Drops staging left behind by runs that were killed, of any import. A table whose import lock can be taken
 * belongs to no live session; a live run holds its lock for as long as its tables exist.
 */
export async function dropAbandonedStaging(session: Session, own: StagingNames, log: Logger): Promise<void> {
  const { rows } = await session.query<{ relname: string }>(listStaging());
  for (const { relname } of rows) {
    const base = relname.replace(/_(stage|ready)$/, '');
    if (base === own.base) {
      await session.query(dropTable(STAGING_SCHEMA, relname));
    } else if (await lockImport(session, base)) {
      try {
        await session.query(dropTable(STAGING_SCHEMA, relname));
      } finally {
        await unlockImport(session, base);
      }
    } else {
      continue;
    }
    log.info({ event: 'staging-dropped', table: `${STAGING_SCHEMA}.${relname}` }, `dropped staging ${STAGING_SCHEMA}.${relname} left by an earlier run`);
  }
}

/** Drops this import's staging tables; used on every exit path. */
export async function dropStaging(session: Session, names: StagingNames): Promise<void> {
  for (const table of [names.stage, names.ready]) await session.cleanup(dropTable(STAGING_SCHEMA, table));
}
