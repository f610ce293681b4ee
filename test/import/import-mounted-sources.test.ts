/**
 * configMap and persistentVolumeClaim sources, as the runner reads them under the directory the operator mounts
 * them at (here a temp directory, through --source-dir): found by the spec's key or path, named in messages as the
 * spec names them, and never read from outside the mount, neither through .. nor through a symbolic link.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { testDatabase } from '../harness/test-database.js';
import { csvImportManifest, importSummary, runImport, scratchDir, writeCsv } from './import-fixtures.js';

const db = await testDatabase(import.meta.url);
await db.pool.query('CREATE TABLE pages (id int PRIMARY KEY, body text)');

const root = scratchDir();
const mount = join(root, 'source');
mkdirSync(join(mount, 'exports'), { recursive: true });
writeCsv(mount, 'exports/pages.csv', 'id,body\n1,one\n2,two\n');
// A readable, valid CSV outside the mount: were it read, the import would succeed.
const outside = writeCsv(root, 'outside.csv', 'id,body\n666,SECRET-OUTSIDE\n');
symlinkSync(outside, join(mount, 'escape.csv'));
symlinkSync('../../outside.csv', join(mount, 'exports', 'relative-escape.csv'));

/** Runs an import of `pages` from the given source with the mount at `mount`. */
function importFrom(name: string, source: Record<string, unknown>) {
  const manifest = csvImportManifest(root, name, { source, target: { table: 'pages', key: ['id'] } });
  return runImport(db.url, ['--manifest', manifest, '--source-dir', mount]);
}

async function outsideRows(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pages WHERE id = 666');
  return rows[0]?.n ?? -1;
}

test('a persistentVolumeClaim path is read under the mount, and messages name the source as the spec does', async () => {
  const result = await importFrom('from-pvc', { persistentVolumeClaim: { claimName: 'seed-data', path: 'exports/pages.csv' } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(importSummary(result).rowsInserted, 2);
  assert.match(result.stderr, /persistentVolumeClaim seed-data:exports\/pages\.csv/);
  const missing = await importFrom('missing-key', { configMap: { name: 'seed', key: 'absent.csv' } });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /configMap seed\/absent\.csv: cannot read the CSV file \(ENOENT\)/);
  assert.ok(!(missing.stdout + missing.stderr).includes(mount), 'no message names the path inside the pod');
});

test('a path with a .. segment, a leading / or an empty segment, and a key that is no ConfigMap key, are refused with exit 2', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ persistentVolumeClaim: { claimName: 'seed-data', path: '../outside.csv' } }, /spec\.source\.persistentVolumeClaim\.path: Invalid value: path must not have a \.\. segment/],
    [{ persistentVolumeClaim: { claimName: 'seed-data', path: 'exports/../../outside.csv' } }, /path must not have a \.\. segment/],
    [{ persistentVolumeClaim: { claimName: 'seed-data', path: outside } }, /path must be relative to the root of the volume/],
    [{ persistentVolumeClaim: { claimName: 'seed-data', path: 'exports//pages.csv' } }, /path must not have an empty segment/],
    [{ configMap: { name: 'seed', key: '..' } }, /spec\.source\.configMap\.key: Invalid value: key must consist of/],
    [{ configMap: { name: 'seed', key: '../outside.csv' } }, /spec\.source\.configMap\.key: Invalid value/],
  ];
  for (const [source, message] of cases) {
    const result = await importFrom('escape', source);
    assert.equal(result.code, 2, `${JSON.stringify(source)}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.ok(!(result.stdout + result.stderr).includes('SECRET-OUTSIDE'));
  }
  assert.equal(await outsideRows(), 0, 'nothing from outside the mount was imported');
});

test('a symbolic link in the volume that leads outside it is refused with exit 2', async () => {
  for (const path of ['escape.csv', 'exports/relative-escape.csv']) {
    const result = await importFrom('symlink', { persistentVolumeClaim: { claimName: 'seed-data', path } });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`persistentVolumeClaim seed-data:${path.replace('.', '\\.')}: the path leads outside the volume through a symbolic link; refused`));
    assert.ok(!(result.stdout + result.stderr).includes('SECRET-OUTSIDE'));
  }
  assert.equal(await outsideRows(), 0, 'nothing from outside the mount was imported');
});
