import type { Report, TimelineReport } from './report-data.js';
import { claimCell, int, itemsCell, updateCell, type Row } from './report-cells.js';
import { comparisonMarkdown, pacingLines } from './report-pacing-markdown.js';

/** report.md: the comparison of pacing off and on (with --compare-pacing), the chart, then each timeline. */
export function reportMarkdown(r: Report): string {
  const server = r.server.embedded ? `an embedded PostgreSQL (max_connections ${int(r.server.maxConnections)})` : `${r.server.url} (max_connections ${int(r.server.maxConnections)})`;
  const seconds = r.timelines.reduce((n, t) => n + t.seconds, 0);
  const out: string[] = ['# bulkhead local: queue workers during a CSV import', '',
    `Run at ${r.startedAt} for ${Math.round(seconds)} s on ${server}: \`${r.command}\`.`];
  const chart = r.timelines.length > 1 ? 'both timelines' : 'over time';
  out.push('', `![throughput and claim and completion latency, ${chart}, import phases shaded](chart.png)`);
  if (r.timelines.length > 1) out.push('', ...comparisonMarkdown(r));
  for (const t of r.timelines) out.push('', ...timelineMarkdown(t));
  out.push('', 'The raw series (every statement, every sample) are in report.json.', '');
  return out.join('\n');
}

/** One timeline's sections; with a label (pacing off, pacing on), each heading names it. */
function timelineMarkdown(r: TimelineReport): string[] {
  const find = (name: string): Row | undefined => r.windows.find((w) => w.name === name);
  const [base, copy, merge] = [find('baseline'), find('copy'), find('merge')];
  const of = r.label ? ` (${r.label})` : '';
  const out: string[] = [];
  if (r.label) out.push(`## Timeline: ${r.label}`, '', `Started at ${r.startedAt}, ran for ${r.seconds} s.`, '');
  if (r.interrupted) out.push('**Interrupted** before the timeline ended: the numbers cover what ran.', '');
  if (r.failure) out.push(`**Ended early**: ${r.failure}`, '');
  out.push(`## The seed's table, measured${of}`, '',
    'Latencies are p50 / p95 / p99 in milliseconds over every statement that started in the window; the change from',
    'the baseline is in brackets. The claim is the worker\'s `SELECT … FOR UPDATE SKIP LOCKED` with its `UPDATE … SET status',
    '= processing`, in one statement; the completion is the batched `UPDATE` of the outcomes.', '',
    '| metric | baseline | during COPY | during merge | the seed\'s guess |',
    '|---|---|---|---|---|',
    `| claim latency, ms | ${claimCell(base)} | ${claimCell(copy)} | ${claimCell(merge)} | 5–20 normally; +5–30 during the import |`,
    `| completion UPDATE latency, ms | ${updateCell(base)} | ${updateCell(copy)} | ${updateCell(merge)} | 5–15 normally; +0–5 |`,
    `| items per minute | ${itemsCell(base)} | ${itemsCell(copy)} | ${itemsCell(merge)} | −10–20% during the merge |`,
    '', `## Every window${of}`, '',
    '| window | from s | seconds | claims | claim p50 / p95 / p99 ms | completions | completion p50 / p95 / p99 ms | items | items/min |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.windows.map((w) => `| ${w.name} | ${w.start} | ${w.seconds} | ${w.claim.count} | ${claimCell(w)} | ${w.update.count} | ${updateCell(w)} | ${int(w.items)} | ${itemsCell(w)} |`));
  out.push('', ...connectionLines(r, of), '', ...lockWaitLines(r, of), ...importLines(r, of), '', ...queueLines(r, of));
  return out;
}

function connectionLines(r: TimelineReport, of: string): string[] {
  const c = r.connections;
  const out = [`## Connections${of}`, '',
    `- Peak client connections on the server: **${c.peakClients}** of max_connections ${int(c.maxConnections)} (${int(c.reserved)} reserved for superusers).`,
    `- bulkhead's own, sampled from pg_stat_activity once a second: at most **${c.peakBulkhead}** (import ${c.peakImport}, workers ${c.peakWorkers}), within a budget capacity of **${int(c.capacity)}** (headroom ${int(c.headroom)}).`,
    ...r.stressRuns.map((s) => `- StressRun ${s.name}: ${s.wanted} workers wanted, ${s.granted} granted${s.granted < s.wanted ? ' (BudgetLimited)' : ''}, at most ${s.peakRunning} running.`)];
  if (r.import?.waitedSeconds !== undefined) {
    const when = r.import.waitedSeconds < 1.5 ? 'at once (the next budget pass)' : `${r.import.waitedSeconds.toFixed(1)} s after it was applied`;
    out.push(`- CsvImport ${r.import.name}: admitted by the budget ${when}${r.import.waitMessage ? `; it waited: ${r.import.waitMessage}` : ''}.`);
  }
  return out;
}

function lockWaitLines(r: TimelineReport, of: string): string[] {
  const l = r.lockWaits;
  return [`## Lock waits${of}`, '',
    l.peakWaiting === 0
      ? `No backend waited for a lock in any of the ${l.samples} one-second samples of pg_stat_activity.`
      : `Backends waited for a lock in ${l.samplesWithWaits} of ${l.samples} one-second samples; at most ${l.peakWaiting} at once; the longest wait seen was ${l.longestSeconds.toFixed(2)} s. Waiting: ${l.waiters.join(', ')}.`];
}

function importLines(r: TimelineReport, of: string): string[] {
  if (!r.import) return [];
  const i = r.import;
  const out = ['', `## The import${of}`, '',
    `CsvImport ${i.name} into ${i.table}${i.rows === undefined ? '' : `, ${int(i.rows)} generated rows`}: ${i.exit ?? 'did not start'}.`, '',
    '| phase | seconds |', '|---|---|',
    ...Object.entries(i.phaseSeconds).map(([p, s]) => `| ${p} | ${s.toFixed(1)} |`)];
  if (i.summary) {
    const s = i.summary;
    out.push('', `Summary: ${s.phase}; ${int(s.rowsRead)} rows read, ${int(s.rowsInserted)} inserted, ${int(s.rowsUpdated)} updated, ${int(s.rowsUnchanged)} unchanged, ${int(s.rowsRejected)} rejected; COPY ${s.copySeconds} s, merge ${s.mergeSeconds} s${s.fastPath ? ' (empty-target fast path)' : ' (chunked INSERT … ON CONFLICT)'}, ${s.totalSeconds} s in all.`);
  }
  if (r.pacing) out.push('', ...pacingLines(r.pacing));
  return out;
}

function queueLines(r: TimelineReport, of: string): string[] {
  return [`## The queue${of}`, '',
    `The workers recorded ${int(r.totals.claims)} claims and ${int(r.totals.items)} finished items: ${int(r.totals.completed)} completed, ${int(r.totals.failed)} failed, ${int(r.totals.retried)} handed back for a retry.`, '',
    '| StressRun | table | before | after |', '|---|---|---|---|',
    ...r.stressRuns.map((s) => `| ${s.name} | ${s.table} | ${counts(s.queueBefore)} | ${s.queueAfter ? counts(s.queueAfter) : 'could not be read'} |`)];
}

function counts(byStatus: Record<string, number>): string {
  return Object.entries(byStatus).sort().map(([k, v]) => `${k} ${int(v)}`).join(', ') || 'empty';
}
