import type { Registry } from 'prom-client';
import { code, generatedBanner, markdownTable } from './markdown-table.js';

/** One process's registry and where it is served. */
export interface MetricsSource {
  /** The process, e.g. `bulkhead operator`. */
  process: string;
  /** How to reach its /metrics, for people. */
  servedOn: string;
  registry: Registry;
}

/** What the reference reads from a prom-client metric object beyond the registry's JSON. */
interface MetricShape {
  labelNames?: readonly string[];
  upperBounds?: readonly number[];
}

/**
 * docs/reference/metrics.md: every bulkhead_* metric of each registry the code serves, with its type, labels and
 * help. prom-client's default process_* and nodejs_* metrics vary with the platform, so they are named, not listed.
 */
export async function metricsReference(sources: MetricsSource[]): Promise<string> {
  const sections = await Promise.all(sources.map(async ({ process, servedOn, registry }) => {
    const metrics = (await registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('bulkhead_')).sort((a, b) => a.name.localeCompare(b.name));
    const defaults = (await registry.getMetricsAsJSON()).length > metrics.length;
    const rows = metrics.map((m) => {
      const shape = registry.getSingleMetric(m.name) as unknown as MetricShape;
      const buckets = String(m.type) === 'histogram' && shape.upperBounds ? ` Buckets (seconds): ${shape.upperBounds.join(', ')}.` : '';
      return [code(m.name), String(m.type), (shape.labelNames ?? []).map(code).join(', '), `${m.help}${buckets}`];
    });
    return [
      `## ${process}`,
      '',
      `Served on ${servedOn}.${defaults ? ' It also serves prom-client\'s default metrics (`process_*`, `nodejs_*`: memory, CPU, event loop lag, garbage collection).' : ''}`,
      '',
      markdownTable(['Metric', 'Type', 'Labels', 'Meaning'], rows),
      '',
    ].join('\n');
  }));
  return [
    generatedBanner('the prom-client registries of the operator and the runners'),
    '',
    '# Metrics reference',
    '',
    'Every metric bulkhead exports, read from the registries that `bulkhead operator`, `bulkhead import` and',
    '`bulkhead worker` serve on `/metrics`. Labels are bounded: `server` is a `host:port` that some CR names,',
    '`stressrun` a StressRun, `namespace` and `csvimport` a CsvImport (its one series goes when it is deleted),',
    '`application` bulkhead\'s own `bulkhead/<role>/<namespace>/<name>` or `other`, and every other label one of the',
    'few values its meaning lists. A histogram also has `_bucket`, `_sum` and `_count` series.',
    '',
    ...sections,
  ].join('\n');
}
