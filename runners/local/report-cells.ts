import type { Latency } from '../shared/latency.js';
import type { TimelineReport } from './report-data.js';

/** A window's row of a timeline. */
export type Row = TimelineReport['windows'][number];

export const ms = (v: number | undefined): string => (v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));
export const pct = (v: number | undefined): string => (v === undefined ? '' : ` (${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(0)}%)`);
export const int = (v: number | undefined): string => (v === undefined ? '–' : v.toLocaleString('en-US'));

function latencyCell(l: Latency, change?: [number | undefined, number | undefined, number | undefined]): string {
  return change
    ? `${ms(l.p50)}${pct(change[0])} / ${ms(l.p95)}${pct(change[1])} / ${ms(l.p99)}${pct(change[2])}`
    : `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)}`;
}

export function claimCell(w: Row | undefined): string {
  if (!w) return 'not reached';
  return latencyCell(w.claim, w.change && [w.change.claimP50, w.change.claimP95, w.change.claimP99]);
}

export function updateCell(w: Row | undefined): string {
  if (!w) return 'not reached';
  return latencyCell(w.update, w.change && [w.change.updateP50, w.change.updateP95, w.change.updateP99]);
}

export function itemsCell(w: Row | undefined): string {
  return w ? `${int(w.itemsPerMinute)}${pct(w.change?.itemsPerMinute)}` : 'not reached';
}
