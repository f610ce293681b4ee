// Keeps the chart in step with crds/ (the single source of the API schema). Run it after changing a CRD:
// `npm run chart:sync-crds`. With --check it changes nothing and exits 1 when the chart is out of step
// (test/chart/chart.test.ts runs that).
//
// 1. Copies crds/*.yaml into charts/bulkhead/files/crds/, which templates/crds.yaml renders (so that `helm upgrade`
//    updates the CRDs, which it never does for a chart's crds/ folder), and removes any file there that crds/ no
//    longer has. Copies rather than a symlink: `npm pack` drops symlinks.
// 2. Writes the runner pod fields of values.schema.json (runner.resources, runner.nodeSelector, …) from the CRDs'
//    spec.runner: the chart's runner values are the operator's defaults for spec.runner, with the same schema.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { argv, exit, stderr, stdout } from 'node:process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const check = argv.includes('--check');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'crds');
const chart = join(root, 'charts', 'bulkhead');
const target = join(chart, 'files', 'crds');
const valuesSchemaFile = join(chart, 'values.schema.json');
const stale = [];

const names = readdirSync(source).filter((n) => n.endsWith('.yaml')).sort();
mkdirSync(target, { recursive: true });
for (const name of readdirSync(target)) {
  if (names.includes(name)) continue;
  stale.push(`charts/bulkhead/files/crds/${name} is not in crds/`);
  if (!check) rmSync(join(target, name));
}
for (const name of names) {
  const copy = join(target, name);
  let same = false;
  try {
    same = readFileSync(copy, 'utf8') === readFileSync(join(source, name), 'utf8');
  } catch {
    same = false;
  }
  if (same) continue;
  stale.push(`charts/bulkhead/files/crds/${name} differs from crds/${name}`);
  if (!check) copyFileSync(join(source, name), copy);
}

/** A CRD schema as JSON Schema for Helm: Kubernetes' extensions dropped, and unknown keys refused (unless kept open). */
function forHelm(schema) {
  if (Array.isArray(schema)) return schema.map(forHelm);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) if (!k.startsWith('x-kubernetes-')) out[k] = forHelm(v);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

const runnerSchemas = names.map((name) => {
  const crd = parse(readFileSync(join(source, name), 'utf8'));
  return JSON.stringify(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.runner);
});
if (new Set(runnerSchemas).size !== 1) {
  stderr.write('spec.runner differs between the CRDs in crds/: it must be the same in each\n');
  exit(1);
}
const runnerFields = forHelm(JSON.parse(runnerSchemas[0])).properties;
const valuesSchemaText = readFileSync(valuesSchemaFile, 'utf8');
const valuesSchema = JSON.parse(valuesSchemaText);
const runner = valuesSchema.properties.runner;
const own = Object.fromEntries(Object.entries(runner.properties).filter(([k]) => !(k in runnerFields)));
runner.properties = { ...own, ...runnerFields };
const written = `${JSON.stringify(valuesSchema, null, 2)}\n`;
if (written !== valuesSchemaText) {
  stale.push('the runner fields of charts/bulkhead/values.schema.json differ from spec.runner in crds/');
  if (!check) writeFileSync(valuesSchemaFile, written);
}

if (check) {
  if (stale.length > 0) {
    stderr.write(`${stale.join('\n')}\nrun \`npm run chart:sync-crds\` and commit the result\n`);
    exit(1);
  }
  stdout.write('the chart is in step with crds/\n');
} else {
  stdout.write(`charts/bulkhead/files/crds: ${names.join(', ')}; values.schema.json: runner.${Object.keys(runnerFields).join(', runner.')}\n`);
}
