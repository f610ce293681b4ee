import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { writeAdvertisersCsv } from '../shared/advertisers-csv.js';
import { BulkheadError, InvalidInputError } from '../shared/errors.js';
import { parseTableName } from '../shared/ident.js';
import { RunnerProcess, describeExit } from './runner-process.js';
import type { Scenario, ScenarioImport } from './scenario.js';
import { lastKey } from './sql/last-key.js';

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

/**
 * Generates the CSV an import is annotated for into `dir`, with ids after the target's last key, and points the
 * import's source.path at it.
 */
export async function generateImportCsv(client: pg.Client, imp: ScenarioImport, rows: number, dir: string): Promise<string> {
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
  return path;
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
