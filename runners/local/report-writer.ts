import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChart } from './chart.js';
import { importPhases, type Report } from './report-data.js';
import { reportMarkdown } from './report-markdown.js';

/** Writes report.md, report.json, chart.svg and chart.png into `dir`; returns the files written. */
export async function writeReport(dir: string, report: Report): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = [join(dir, 'report.json'), join(dir, 'report.md'), join(dir, 'chart.svg'), join(dir, 'chart.png')];
  await writeFile(files[0] as string, `${JSON.stringify(report, null, 1)}\n`);
  await writeFile(files[1] as string, reportMarkdown(report));
  const first = report.timelines[0];
  const imp = first?.import;
  const title = imp ? `Queue workers while ${imp.rows === undefined ? 'a CSV' : `${imp.rows.toLocaleString('en-US')} rows`} merge into ${imp.table}` : 'Queue workers';
  const subtitle = `${(first?.stressRuns ?? []).map((s) => `${s.granted} workers on ${s.table}`).join(', ')}; bulkhead local, ${report.startedAt.slice(0, 10)}`;
  const timelines = report.timelines.map((t) => ({ label: t.label, series: t.series.throughput, phases: importPhases(t), seconds: t.seconds }));
  const { svg, png } = await renderChart({ title, subtitle, timelines });
  await writeFile(files[2] as string, svg);
  await writeFile(files[3] as string, png);
  return files;
}
