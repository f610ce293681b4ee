import { createLogger } from '../shared/logger.js';
import { connect } from '../shared/connection.js';
import { describeError, exitCodeOf } from '../shared/errors.js';
import { buildWorkerConfig, type WorkerFlags } from './worker-command.js';
import { inspectQueue } from './queue-table.js';
import { countNoun } from '../shared/count-noun.js';

/**
 * `bulkhead queue init`: adds the bookkeeping columns and partial indexes a worker needs to an existing queue
 * table, and nothing else. Each statement runs on its own (CREATE INDEX CONCURRENTLY cannot run in a
 * transaction, and keeps the table writable while it builds); every one is IF NOT EXISTS, so a rerun is harmless.
 */
export async function queueInitMain(flags: WorkerFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const log = createLogger('queue-init');
  try {
    const config = buildWorkerConfig(flags, env, { processorOptional: true });
    const client = await connect(config.connection);
    try {
      const { label, check } = await inspectQueue(client, config.spec);
      for (const ddl of check.ddl) {
        log.info({ event: 'ddl', sql: ddl }, ddl);
        await client.query(ddl);
      }
      process.stdout.write(check.ddl.length === 0 ? `${label} already has everything a worker needs\n` : `${label}: applied ${countNoun(check.ddl.length, 'statement')}\n`);
      return 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (err) {
    log.error({ event: 'failed' }, describeError(err));
    return exitCodeOf(err);
  }
}
