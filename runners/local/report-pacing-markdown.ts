import type { Report, TimelineReport } from './report-data.js';
import { claimCell, int, itemsCell, updateCell, type Row } from './report-cells.js';
import { mergeSecondsOf, type PacingReport } from './report-pacing.js';

const window = (t: TimelineReport | undefined, name: string): Row | undefined => t?.windows.find((w) => w.name === name);

/** A paced merge's states, e.g. "Throttled 12.0 s, AtFloor 3.0 s, Running 8.0 s". */
function statesText(p: PacingReport): string {
  const states = Object.entries(p.stateSeconds).map(([state, s]) => `${state} ${s.toFixed(1)} s`);
  return states.length > 0 ? states.join(', ') : 'no pacing state sampled';
}

/** What the pacing of one timeline did, for its import section. */
export function pacingLines(p: PacingReport): string[] {
  const base = p.importBaseline;
  return [
    `Merge pacing \`${JSON.stringify(p.spec)}\`: ${statesText(p)} of the merge (sampled once a second from bulkhead.import_progress);`,
    `throttled ${p.throttles} time${p.throttles === 1 ? '' : 's'} from Running${p.firstThrottleSeconds === undefined ? '' : `, first ${p.firstThrottleSeconds} s into the merge`};`,
    `smallest chunk ${int(p.smallestChunkRows)} rows, longest pause ${int(p.longestPauseMilliseconds)} ms.`,
    base ? `The import's own baseline of the workers' p95 (the median of 5 readings before its COPY): claim ${base.claimP95Ms ?? '–'} ms, completion ${base.completionP95Ms ?? '–'} ms.` : 'The import logged no baseline of the workers.',
  ];
}

/** The merge's seconds, and paced against unpaced. */
function mergeCell(t: TimelineReport, ratio: number | undefined): string {
  const s = mergeSecondsOf(t);
  return s === undefined ? '–' : `${s.toFixed(1)}${ratio === undefined ? '' : ` (${ratio.toFixed(2)}x)`}`;
}

/**
 * With --compare-pacing: the two timelines side by side (latency in the baseline and during the merge, throughput,
 * the merge's duration, what the pacing did), and whether the paced one met the goal.
 */
export function comparisonMarkdown(r: Report): string[] {
  const [off, on] = r.timelines;
  const c = r.comparison;
  if (!off || !on || !c) return [];
  const both = (cell: (t: TimelineReport) => string): string => `${cell(off)} | ${cell(on)}`;
  const goal = `paced, the workers' claim and completion p95 during the merge within +${c.goal.p95IncreasePercent}% of their baseline, and the merge at most ${c.goal.mergeRatio}x its unpaced time`;
  const verdict = c.met === undefined ? `**Goal not measured** (${goal}): a number is missing.`
    : c.met ? `**Goal met** (${goal}).` : `**Goal not met** (${goal}): ${c.misses.join('; ')}.`;
  return ['## Merge pacing off and on', '',
    `The same timeline twice: unpaced, then paced with \`${JSON.stringify(on.pacing?.spec ?? {})}\`, each from the same target`,
    'rows and a queue topped up again. Latencies are p50 / p95 / p99 ms over every statement that started in the window;',
    'the change from the same timeline\'s baseline is in brackets.', '',
    `| | ${off.label ?? 'first'} | ${on.label ?? 'second'} |`, '|---|---|---|',
    `| claim, baseline | ${both((t) => claimCell(window(t, 'baseline')))} |`,
    `| claim, during the merge | ${both((t) => claimCell(window(t, 'merge')))} |`,
    `| completion UPDATE, baseline | ${both((t) => updateCell(window(t, 'baseline')))} |`,
    `| completion UPDATE, during the merge | ${both((t) => updateCell(window(t, 'merge')))} |`,
    `| items per minute, baseline | ${both((t) => itemsCell(window(t, 'baseline')))} |`,
    `| items per minute, during the merge | ${both((t) => itemsCell(window(t, 'merge')))} |`,
    `| merge, seconds | ${mergeCell(off, undefined)} | ${mergeCell(on, c.mergeSeconds.ratio)} |`,
    `| merge pacing | off | ${on.pacing ? `${statesText(on.pacing)}; ${on.pacing.throttles} throttled` : 'off'} |`,
    '', verdict];
}
