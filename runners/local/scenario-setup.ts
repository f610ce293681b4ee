import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { writeAdvertisersCsv } from '../shared/advertisers-csv.js';
import { BulkheadError, InvalidInputError } from '../shared/errors.js';
import { parseTableName } from '../shared/ident.js';
import { RunnerProcess, describeExit } from './runner-process.js';
import { LOCAL_NAMESPACE, type Scenario, type ScenarioImport } from './scenario.js';
import { lastKey } from './sql/last-key.js';
import { deleteGeneratedRows } from './sql/delete-generated-rows.js';
import { vacuumAnalyze } from './sql/vacuum-analyze.js';
import { Session } from '../shared/session.js';
import { applicationName } from '../shared/connection.js';
import { migrateSchema } from '../shared/bulkhead-schema/migrate-schema.js';

/** Runs the scenario's setup SQL files in order, each as one multi-statement query. */
export async function runSetupSql(client: pg.Client, files: string[], say: (line: string) => void): Promise<void> {
  for (const file of files) {
    say(`running ${file}`);
    try {
      await client.query(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new BulkheadError(`${file}: setup SQL failed`, { cause });
    }
  }
}

/** A generated CSV: where it is, and the target's last key before it (its rows come after). */
export interface GeneratedCsv {
  path: string;
  after: string;
}

/**
 * Generates the CSV an import is annotated for into `dir`, with ids after the target's last key, and points the
 * import's source.path at it.
 */
export async function generateImportCsv(client: pg.Client, imp: ScenarioImport, rows: number, dir: string): Promise<GeneratedCsv> {
  const key = imp.validated.target.key;
  if (key.length !== 1 || key[0] === undefined) throw new InvalidInputError(`${imp.origin}: spec.target.key: a generated CSV needs a single integer key`);
  let last: bigint;
  try {
    const { rows: found } = await client.query<{ last: string }>(lastKey(parseTableName(imp.validated.target.table), key[0]));
    last = BigInt(found[0]?.last ?? '0');
  } catch (cause) {
    throw new InvalidInputError(`${imp.origin}: cannot read the last ${key[0]} of ${imp.validated.target.table}; does a setup SQL file create the table?`, { cause });
  }
  const path = join(dir, `${imp.name}.csv`);
  await writeAdvertisersCsv(path, rows, { firstId: Number(last) + 1 });
  imp.spec.source = { path };
  return { path, after: last.toString() };
}

/**
 * Between two timelines: deletes the rows the first one's import added, VACUUMs the target and the queues, and runs
 * the setup SQL again (the seed's tops the queue up to 300,000 pending), so the second starts where the first did.
 */
export async function resetForNextTimeline(client: pg.Client, scenario: Scenario, imp: ScenarioImport, csv: GeneratedCsv, say: (line: string) => void): Promise<void> {
  const target = parseTableName(imp.validated.target.table);
  const key = imp.validated.target.key[0];
  const { rowCount } = await client.query(deleteGeneratedRows(target, key, csv.after));
  say(`deleted the ${rowCount ?? 0} rows the import added to ${imp.validated.target.table}; VACUUM ANALYZE of the target and the queues`);
  for (const table of [target, ...scenario.stressRuns.map((r) => parseTableName(r.validated.queue.table))]) await client.query(vacuumAnalyze(table));
  await runSetupSql(client, scenario.setupSql, say);
}

/**
 * Creates or migrates the bulkhead schema before any runner starts, as an import would at its start: the workers
 * publish their latency there for merge pacing, and one that finds no schema tries again only 30 s later, too late
 * for a paced import that reads its baseline after a 15 s one.
 */
export async function prepareBulkheadSchema(databaseUrl: string, stop: AbortSignal): Promise<void> {
  const session = await Session.open({ databaseUrl, applicationName: applicationName('operator', LOCAL_NAMESPACE, 'local') }, stop, () => 'SIGTERM');
  try {
    await migrateSchema(session);
  } finally {
    await session.close();
  }
}

/** Runs `bulkhead queue init` for each StressRun: the bookkeeping columns and indexes its workers need. */
export async function initQueues(scenario: Scenario, databaseUrl: string): Promise<void> {
  for (const run of scenario.stressRuns) {
    const init = new RunnerProcess({ args: ['queue', 'init'], spec: run.spec, name: run.name, databaseUrl });
    const exit = await init.exited;
    if (exit.code !== 0) {
      const Failure = exit.code === 2 ? InvalidInputError : BulkheadError;
      throw new Failure(`${run.origin}: bulkhead queue init failed (${describeExit(exit, init)})`);
    }
  }
}
