/**
 * What bulkhead exports and what a PromQL query reads, for the checks that every alert and dashboard query names a
 * real metric. The exported names come from the registries the operator and the runners serve, never from a list.
 */
import { ImportMetrics } from '../../runners/import/import-metrics.js';
import { WorkerMetrics } from '../../runners/worker/worker-metrics.js';
import { OperatorMetrics } from '../../operator/operator-metrics.js';

/**
 * Every series name the operator's and the runners' /metrics carry, with the label names each declares: a
 * histogram's _bucket (with le), _sum and _count, a summary's own name, _sum and _count.
 */
export function exportedSeries(): Map<string, Set<string>> {
  const registries = [new OperatorMetrics().registry, new ImportMetrics().registry, new WorkerMetrics().registry];
  const series = new Map<string, Set<string>>();
  for (const metric of registries.flatMap((r) => r.getMetricsAsArray())) {
    const labels = (metric as { labelNames?: readonly string[] }).labelNames ?? [];
    const add = (name: string, extra: string[] = []) => series.set(name, new Set([...labels, ...extra]));
    if (String(metric.type) === 'histogram') {
      add(`${metric.name}_bucket`, ['le']);
      add(`${metric.name}_sum`);
      add(`${metric.name}_count`);
    } else if (String(metric.type) === 'summary') {
      add(metric.name, ['quantile']);
      add(`${metric.name}_sum`);
      add(`${metric.name}_count`);
    } else {
      add(metric.name);
    }
  }
  return series;
}

/**
 * The metric names a PromQL expression reads: the words left once label matchers, grouping clauses, ranges,
 * offsets, function names and keywords are taken out.
 */
export function metricsIn(expr: string): string[] {
  const keywords = new Set(['and', 'or', 'unless', 'bool']);
  const stripped = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]|\boffset\s+\w+/g, ' ')
    .replace(/\b[a-zA-Z_]\w*\s*\(/g, '(')
    .replace(/\b\d[\w.]*/g, ' ');
  return [...stripped.matchAll(/[a-zA-Z_:][\w:]*/g)].map((m) => m[0]).filter((word) => !keywords.has(word));
}

/** Each `metric{matchers}` of an expression, with the label names its matchers name. */
export function selectorsIn(expr: string): { metric: string; labels: string[] }[] {
  return [...expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)].map((m) => ({
    metric: m[1] ?? '',
    labels: [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] ?? ''),
  }));
}

/** The names in exprs that no registry exports. */
export function unknownMetrics(exprs: string[]): string[] {
  const known = exportedSeries();
  return exprs.flatMap(metricsIn).filter((m) => !known.has(m));
}
