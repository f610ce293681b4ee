import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { program } from '../../runners/cli.js';
import { ImportMetrics } from '../../runners/import/import-metrics.js';
import { WorkerMetrics } from '../../runners/worker/worker-metrics.js';
import { OperatorMetrics } from '../../operator/operator-metrics.js';
import { chartValuesReference, type ValueSchema } from './chart-values-reference.js';
import { cliReference } from './cli-reference.js';
import { crdReference, type CrdDocument } from './crd-reference.js';
import { metricsReference } from './metrics-reference.js';

/**
 * The generated pages under docs/reference, by path from the repository root: the CRD reference from crds/, the
 * metrics reference from the registries the code serves, the CLI reference from the commander program, the chart
 * values reference from the chart's values schema and defaults. Each is a
 * pure function of the checkout, so `npm run docs:generate` twice writes the same bytes, and the test
 * (test/unit/docs-fresh.test.ts) can tell a stale page.
 */
export async function referencePages(root: string): Promise<Record<string, string>> {
  const crds = readdirSync(join(root, 'crds')).filter((f) => f.endsWith('.yaml')).sort()
    .map((file) => ({ file, crd: parse(readFileSync(join(root, 'crds', file), 'utf8')) as CrdDocument }));
  const metrics = await metricsReference([
    { process: 'bulkhead operator', servedOn: '`--port` (8080), `/metrics`', registry: new OperatorMetrics().registry },
    { process: 'bulkhead import', servedOn: '`--metrics-port`, `/metrics`, while the import runs', registry: new ImportMetrics().registry },
    { process: 'bulkhead worker', servedOn: '`--metrics-port`, `/metrics` (the operator passes `--runner-metrics-port` to its pods)', registry: new WorkerMetrics().registry },
  ]);
  const pages = {
    'docs/reference/crds.md': crdReference(crds),
    'docs/reference/metrics.md': metrics,
    'docs/reference/cli.md': cliReference(program),
    'docs/reference/chart-values.md': chartValuesReference(
      JSON.parse(readFileSync(join(root, 'charts/bulkhead/values.schema.json'), 'utf8')) as ValueSchema,
      parse(readFileSync(join(root, 'charts/bulkhead/values.yaml'), 'utf8')) as Record<string, unknown>),
  };
  return Object.fromEntries(Object.entries(pages).map(([path, text]) => [path, `${text.trimEnd()}\n`]));
}
