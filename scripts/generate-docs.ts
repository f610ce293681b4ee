/**
 * `npm run docs:generate`: writes the reference pages under docs/reference from the code (scripts/docs). Run it
 * after changing a CRD, a metric or a flag; test/unit/docs-fresh.test.ts fails while a committed page differs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referencePages } from './docs/reference-pages.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
for (const [path, text] of Object.entries(await referencePages(root))) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  process.stdout.write(`${path}\n`);
}
