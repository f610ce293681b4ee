import { STAGING_SCHEMA, stagingNames } from '../../runners/import/staging.js';
import { dropTable } from '../../runners/import/sql/drop-table.js';
import { releaseImportLock, tryImportLock } from '../../runners/import/sql/import-lock.js';
import type { DatabaseSecret } from '../database/database-secret.js';
import type { ServerPools } from '../database/server-pools.js';

/**
 * Drops a deleted import's staging tables, under the import's advisory lock so that a runner still alive is
 * never pulled from under. Returns false when a runner still holds the lock (try again later).
 */
export async function dropImportStaging(pools: ServerPools, secret: DatabaseSecret, namespace: string, name: string): Promise<boolean> {
  const names = stagingNames(namespace, name);
  const client = await pools.forCredentials(secret).connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(tryImportLock(names.base));
    if (rows[0]?.locked !== true) return false;
    try {
      for (const table of [names.stage, names.ready]) await client.query(dropTable(STAGING_SCHEMA, table));
    } finally {
      await client.query(releaseImportLock(names.base));
    }
    return true;
  } finally {
    client.release();
  }
}
