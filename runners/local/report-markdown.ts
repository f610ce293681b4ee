import type { Latency } from '../shared/latency.js';
import type { Report } from './report-data.js';

type Row = Report['windows'][number];

const ms = (v: number | undefined): string => (v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const pct = (v: number | undefined): string => (v === undefined ? '' : ` (${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(0)}%)`);
const int = (v: number | undefined): string => (v === undefined ? '–' : v.toLocaleString('en-US'));

function latencyCell(l: Latency, change?: [number | undefined, number | undefined, number | undefined]): string {
  return change
    ? `${ms(l.p50)}${pct(change[0])} / ${ms(l.p95)}${pct(change[1])} / ${ms(l.p99)}${pct(change[2])}`
    : `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)}`;
}

function claimCell(w: Row | undefined): string {
  if (!w) return 'not reached';
  return latencyCell(w.claim, w.change && [w.change.claimP50, w.change.claimP95, w.change.claimP99]);
}

function updateCell(w: Row | undefined): string {
  if (!w) return 'not reached';
  return latencyCell(w.update, w.change && [w.change.updateP50, w.change.updateP95, w.change.updateP99]);
}

function itemsCell(w: Row | undefined): string {
  return w ? `${int(w.itemsPerMinute)}${pct(w.change?.itemsPerMinute)}` : 'not reached';
}

/** report.md: the seed's table, measured, then every window, connections, lock waits, the import and the queue. */
export function reportMarkdown(r: Report): string {
  const find = (name: string): Row | undefined => r.windows.find((w) => w.name === name);
  const [base, copy, merge] = [find('baseline'), find('copy'), find('merge')];
  const out: string[] = [];
  const server = r.server.embedded ? `an embedded PostgreSQL (max_connections ${int(r.server.maxConnections)})` : `${r.server.url} (max_connections ${int(r.server.maxConnections)})`;
  out.push('# bulkhead local: queue workers during a CSV import', '',
    `Run at ${r.startedAt} for ${r.seconds} s on ${server}: \`${r.command}\`.`);
  if (r.interrupted) out.push('', '**Interrupted** before the timeline ended: the numbers cover what ran.');
  if (r.failure) out.push('', `**Ended early**: ${r.failure}`);
  out.push('', '![throughput and claim latency over time, import phases shaded](chart.png)', '',
    '## The seed\'s table, measured', '',
    'Latencies are p50 / p95 / p99 in milliseconds over every statement that started in the window; the change from',
    'the baseline is in brackets. The claim is the worker\'s `SELECT … FOR UPDATE SKIP LOCKED` with its `UPDATE … SET status',
    '= processing`, in one statement; the completion is the batched `UPDATE` of the outcomes.', '',
    '| metric | baseline | during COPY | during merge | the seed\'s guess |',
    '|---|---|---|---|---|',
    `| claim latency, ms | ${claimCell(base)} | ${claimCell(copy)} | ${claimCell(merge)} | 5–20 normally; +5–30 during the import |`,
    `| completion UPDATE latency, ms | ${updateCell(base)} | ${updateCell(copy)} | ${updateCell(merge)} | 5–15 normally; +0–5 |`,
    `| items per minute | ${itemsCell(base)} | ${itemsCell(copy)} | ${itemsCell(merge)} | −10–20% during the merge |`,
    '', '## Every window', '',
    '| window | from s | seconds | claims | claim p50 / p95 / p99 ms | completions | completion p50 / p95 / p99 ms | items | items/min |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.windows.map((w) => `| ${w.name} | ${w.start} | ${w.seconds} | ${w.claim.count} | ${claimCell(w)} | ${w.update.count} | ${updateCell(w)} | ${int(w.items)} | ${itemsCell(w)} |`));
  const c = r.connections;
  out.push('', '## Connections', '',
    `- Peak client connections on the server: **${c.peakClients}** of max_connections ${int(c.maxConnections)} (${int(c.reserved)} reserved for superusers).`,
    `- bulkhead's own, sampled from pg_stat_activity once a second: at most **${c.peakBulkhead}** (import ${c.peakImport}, workers ${c.peakWorkers}), within a budget capacity of **${int(c.capacity)}** (headroom ${int(c.headroom)}).`,
    ...r.stressRuns.map((s) => `- StressRun ${s.name}: ${s.wanted} workers wanted, ${s.granted} granted${s.granted < s.wanted ? ' (BudgetLimited)' : ''}, at most ${s.peakRunning} running.`));
  if (r.import?.waitedSeconds !== undefined) {
    const when = r.import.waitedSeconds < 1.5 ? 'at once (the next budget pass)' : `${r.import.waitedSeconds.toFixed(1)} s after it was applied`;
    out.push(`- CsvImport ${r.import.name}: admitted by the budget ${when}${r.import.waitMessage ? `; it waited: ${r.import.waitMessage}` : ''}.`);
  }
  const l = r.lockWaits;
  out.push('', '## Lock waits', '',
    l.peakWaiting === 0
      ? `No backend waited for a lock in any of the ${l.samples} one-second samples of pg_stat_activity.`
      : `Backends waited for a lock in ${l.samplesWithWaits} of ${l.samples} one-second samples; at most ${l.peakWaiting} at once; the longest wait seen was ${l.longestSeconds.toFixed(2)} s. Waiting: ${l.waiters.join(', ')}.`);
  if (r.import) {
    const i = r.import;
    out.push('', '## The import', '',
      `CsvImport ${i.name} into ${i.table}${i.rows === undefined ? '' : `, ${int(i.rows)} generated rows`}: ${i.exit ?? 'did not start'}.`, '',
      '| phase | seconds |', '|---|---|',
      ...Object.entries(i.phaseSeconds).map(([p, s]) => `| ${p} | ${s.toFixed(1)} |`));
    if (i.summary) {
      const s = i.summary;
      out.push('', `Summary: ${s.phase}; ${int(s.rowsRead)} rows read, ${int(s.rowsInserted)} inserted, ${int(s.rowsUpdated)} updated, ${int(s.rowsUnchanged)} unchanged, ${int(s.rowsRejected)} rejected; COPY ${s.copySeconds} s, merge ${s.mergeSeconds} s${s.fastPath ? ' (empty-target fast path)' : ' (chunked INSERT … ON CONFLICT)'}, ${s.totalSeconds} s in all.`);
    }
  }
  out.push('', '## The queue', '',
    `The workers recorded ${int(r.totals.claims)} claims and ${int(r.totals.items)} finished items: ${int(r.totals.completed)} completed, ${int(r.totals.failed)} failed, ${int(r.totals.retried)} handed back for a retry.`, '',
    '| StressRun | table | before | after |', '|---|---|---|---|',
    ...r.stressRuns.map((s) => `| ${s.name} | ${s.table} | ${counts(s.queueBefore)} | ${s.queueAfter ? counts(s.queueAfter) : 'could not be read'} |`),
    '', 'The raw series (every statement, every sample) are in report.json.', '');
  return out.join('\n');
}

function counts(byStatus: Record<string, number>): string {
  return Object.entries(byStatus).sort().map(([k, v]) => `${k} ${int(v)}`).join(', ') || 'empty';
}
