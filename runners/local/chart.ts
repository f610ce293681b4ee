import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { SeriesPoint } from './measurements.js';

/** A window of the run, in seconds from its start, for shading. */
export interface ChartWindow {
  name: string;
  start: number;
  end: number;
}

/** One timeline's panels. */
export interface ChartTimeline {
  /** 'pacing off', 'pacing on': the panels' title when there are two. */
  label: string | undefined;
  series: SeriesPoint[];
  /** The import's phases; the baseline and cooldown are left unshaded. */
  phases: ChartWindow[];
  /** The timeline's length in seconds: its panels span it. */
  seconds: number;
}

/** What the chart shows: each timeline's throughput and latency, one above the other. */
export interface ChartInput {
  title: string;
  subtitle: string;
  timelines: ChartTimeline[];
}

const PHASE_COLORS: Record<string, string> = {
  waiting: '#bdbdbd', validate: '#d9d9d9', copy: '#9ecae1', check: '#c7e9c0', dedupe: '#a1d99b', merge: '#fdae6b',
};
/** The claim red as before; the completion UPDATE purple, clear of the blue throughput and the orange merge. */
const STATEMENT_COLORS = { claim: '#a50f15', completion: '#54278f' };

/** Phase shading of one timeline's panels. */
function phaseLayer(t: ChartTimeline, i: number): object {
  const present = new Set(t.phases.map((p) => p.name));
  const names = Object.keys(PHASE_COLORS).filter((n) => present.has(n));
  return {
    data: { name: `phases${i}` },
    mark: { type: 'rect', opacity: 0.45 },
    encoding: {
      x: { field: 'start', type: 'quantitative', scale: { domain: [0, t.seconds], nice: false } },
      x2: { field: 'end' },
      color: { field: 'name', type: 'nominal', title: 'import phase', sort: names, scale: { domain: names, range: names.map((n) => PHASE_COLORS[n]) } },
    },
  };
}

/** The latency lines: p50 and p95 of the claim and of the completion UPDATE, per bucket. */
function latencyPoints(series: SeriesPoint[]): { t: number; ms: number; statement: string; percentile: string }[] {
  const lines = [['claim', 'p50', 'claimP50'], ['claim', 'p95', 'claimP95'], ['completion', 'p50', 'updateP50'], ['completion', 'p95', 'updateP95']] as const;
  return series.flatMap((p) => lines.flatMap(([statement, percentile, key]) => {
    const ms = p[key];
    return ms === undefined ? [] : [{ t: p.t, ms, statement, percentile }];
  }));
}

/** One timeline: throughput on top, claim and completion latency below, both with its import's phases shaded. */
function timelinePanels(t: ChartTimeline, i: number, latencyMax: number, itemsMax: number, many: boolean): object[] {
  const x = { field: 't', type: 'quantitative', title: 'seconds since the workers started', scale: { domain: [0, t.seconds], nice: false } } as const;
  const title = many && t.label ? { title: { text: t.label, anchor: 'start', fontSize: 14 } } : {};
  return [
    {
      ...title, width: 720, height: many ? 120 : 180,
      layer: [
        phaseLayer(t, i),
        {
          data: { name: `series${i}` },
          mark: { type: 'line', color: '#08519c', strokeWidth: 2 },
          encoding: { x, y: { field: 'itemsPerMinute', type: 'quantitative', title: 'items per minute', scale: { domain: [0, itemsMax] } } },
        },
      ],
    },
    {
      width: 720, height: 200,
      // The phases' colours and the statements' are two legends, not one scale.
      resolve: { scale: { color: 'independent' } },
      layer: [
        phaseLayer(t, i),
        {
          data: { name: `latency${i}` },
          mark: { type: 'line', strokeWidth: 2 },
          encoding: {
            x,
            y: { field: 'ms', type: 'quantitative', title: 'latency, ms', scale: { domain: [0, latencyMax] } },
            color: { field: 'statement', type: 'nominal', title: 'statement', scale: { domain: Object.keys(STATEMENT_COLORS), range: Object.values(STATEMENT_COLORS) } },
            strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile', scale: { domain: ['p95', 'p50'], range: [[1, 0], [4, 3]] } },
          },
        },
      ],
    },
  ];
}

/**
 * The Vega-Lite spec: per timeline, throughput on top and the latency of the claim and of the completion UPDATE (p50
 * and p95) below, against seconds since its workers started, with the import's phases shaded. Timelines share their
 * y scales, so that the paced one's latency reads against the unpaced one's.
 */
export function chartSpec(input: ChartInput): TopLevelSpec {
  const points = input.timelines.map((t) => latencyPoints(t.series));
  const latencyMax = Math.max(1, ...points.flat().map((p) => p.ms));
  const itemsMax = Math.max(1, ...input.timelines.flatMap((t) => t.series.map((p) => p.itemsPerMinute)));
  const datasets: Record<string, unknown[]> = {};
  input.timelines.forEach((t, i) => Object.assign(datasets, { [`phases${i}`]: t.phases, [`series${i}`]: t.series, [`latency${i}`]: points[i] }));
  const many = input.timelines.length > 1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: input.title, subtitle: input.subtitle, anchor: 'start' },
    datasets,
    config: { font: 'DejaVu Sans', view: { stroke: null } },
    vconcat: input.timelines.flatMap((t, i) => timelinePanels(t, i, latencyMax, itemsMax, many)),
  } as TopLevelSpec;
}

/** Renders the chart headless: Vega-Lite to Vega to SVG, and resvg from SVG to PNG. */
export async function renderChart(input: ChartInput): Promise<{ svg: string; png: Buffer }> {
  const view = new vega.View(vega.parse(compile(chartSpec(input)).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 1.5 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  return { svg, png: Buffer.from(png) };
}
