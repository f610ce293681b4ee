// Copies crds/*.yaml (the single source of the API schema) into charts/bulkhead/crds/ and removes any file
// there that crds/ no longer has. Run it after changing a CRD: `npm run chart:sync-crds`.
//
// Copies rather than a symlink: helm follows a symlinked crds/ folder, but `npm pack` drops symlinks, so the
// chart shipped in the npm package would have no CRDs. test/chart/chart.test.ts fails when the copies differ.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stdout } from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'crds');
const target = join(root, 'charts', 'bulkhead', 'crds');
mkdirSync(target, { recursive: true });

const names = readdirSync(source).filter((n) => n.endsWith('.yaml'));
for (const name of readdirSync(target)) {
  if (!names.includes(name)) rmSync(join(target, name));
}
for (const name of names) copyFileSync(join(source, name), join(target, name));
stdout.write(`charts/bulkhead/crds: ${names.join(', ')}\n`);
