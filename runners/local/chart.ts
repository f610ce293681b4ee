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

/** What the chart shows. */
export interface ChartInput {
  title: string;
  subtitle: string;
  series: SeriesPoint[];
  /** The import's phases; the baseline and cooldown are left unshaded. */
  phases: ChartWindow[];
  /** The run's length in seconds: both panels span it. */
  seconds: number;
}

const PHASE_COLORS: Record<string, string> = {
  waiting: '#bdbdbd', validate: '#d9d9d9', copy: '#9ecae1', check: '#c7e9c0', dedupe: '#a1d99b', merge: '#fdae6b',
};

/** Phase shading shared by both panels. */
function phaseLayer(input: ChartInput): object {
  const present = new Set(input.phases.map((p) => p.name));
  const names = Object.keys(PHASE_COLORS).filter((n) => present.has(n));
  return {
    data: { name: 'phases' },
    mark: { type: 'rect', opacity: 0.45 },
    encoding: {
      x: { field: 'start', type: 'quantitative', scale: { domain: [0, input.seconds], nice: false } },
      x2: { field: 'end' },
      color: { field: 'name', type: 'nominal', title: 'import phase', sort: names, scale: { domain: names, range: names.map((n) => PHASE_COLORS[n]) } },
    },
  };
}

/**
 * The Vega-Lite spec: throughput on top, claim latency (p50 and p95) below, against seconds since the start,
 * with the import's phases shaded in both.
 */
export function chartSpec(input: ChartInput): TopLevelSpec {
  const x = { field: 't', type: 'quantitative', title: 'seconds since the workers started', scale: { domain: [0, input.seconds], nice: false } } as const;
  const latency = input.series.flatMap((p) => [
    ...(p.claimP50 === undefined ? [] : [{ t: p.t, ms: p.claimP50, percentile: 'p50' }]),
    ...(p.claimP95 === undefined ? [] : [{ t: p.t, ms: p.claimP95, percentile: 'p95' }]),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: input.title, subtitle: input.subtitle, anchor: 'start' },
    datasets: { phases: input.phases, series: input.series, latency },
    config: { font: 'DejaVu Sans', view: { stroke: null } },
    vconcat: [
      {
        width: 720, height: 200,
        layer: [
          phaseLayer(input),
          {
            data: { name: 'series' },
            mark: { type: 'line', color: '#08519c', strokeWidth: 2 },
            encoding: { x, y: { field: 'itemsPerMinute', type: 'quantitative', title: 'items per minute' } },
          },
        ],
      },
      {
        width: 720, height: 200,
        layer: [
          phaseLayer(input),
          {
            data: { name: 'latency' },
            mark: { type: 'line', strokeWidth: 2 },
            encoding: {
              x,
              y: { field: 'ms', type: 'quantitative', title: 'claim latency, ms' },
              strokeDash: { field: 'percentile', type: 'nominal', title: 'claim (SKIP LOCKED)' },
              color: { value: '#a50f15' },
            },
          },
        ],
      },
    ],
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
