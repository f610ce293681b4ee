import cliProgress from 'cli-progress';

/** What the display shows, refreshed once a second. */
export interface LiveStatus {
  elapsedSeconds: number;
  /** The current window: baseline, waiting, validate, copy, check, dedupe, merge, cooldown. */
  window: string;
  /**
   * pacing: the merge pacing's state (Running, Throttled, AtFloor) when the merge is paced. ended: the import has
   * exited, and rows is its final count (the summary's), not its last progress record.
   */
  import: { phase: string; rows: number; totalRows: number | undefined; rowsPerSecond: number; pacing: string | undefined; ended: boolean } | undefined;
  workers: { running: number; wanted: number; itemsPerSecond: number; claimP95Ms: number | undefined; completionP95Ms: number | undefined };
  connections: { bulkhead: number; capacity: number; clients: number; maxConnections: number };
  lockWaits: { now: number; peak: number; longestSeconds: number };
}

/** Live progress: bars on a terminal, a plain line every few seconds elsewhere. */
export interface ProgressDisplay {
  update(status: LiveStatus): void;
  /** A line of its own: a step done, a grant, a warning. */
  note(line: string): void;
  stop(): void;
}

/** The display for this output: bars when stdout is a terminal, log lines otherwise. */
export function createDisplay(interactive: boolean): ProgressDisplay {
  return interactive ? new BarDisplay() : new LineDisplay();
}

const fmt = (n: number | undefined, digits = 1): string => (n === undefined ? '-' : n.toFixed(digits));
const int = (n: number): string => n.toLocaleString('en-US');

/** The import's line: its phase and rows (of the total, when known), and the merge pacing's state. */
function importText(i: NonNullable<LiveStatus['import']>): string {
  const rows = `${int(i.rows)}${i.totalRows === undefined ? '' : ` of ${int(i.totalRows)}`} rows`;
  const rate = i.phase === 'done' ? '' : `, ${int(i.rowsPerSecond)} rows/s`;
  return `${i.phase}: ${rows}${rate}${i.pacing && i.phase === 'merge' ? `, pacing ${i.pacing}` : ''}`;
}

/** The workers' line: throughput, how many run, and the p95 of their two statements over the last 5 s. */
function workersText(w: LiveStatus['workers']): string {
  return `${w.itemsPerSecond} items/s, ${w.running} of ${w.wanted} workers, p95 claim ${fmt(w.claimP95Ms)} ms, completion ${fmt(w.completionP95Ms)} ms`;
}

/** The bars of a running timeline. */
interface Bars {
  multi: cliProgress.MultiBar;
  run: cliProgress.SingleBar;
  importBar: cliProgress.SingleBar;
  workerBar: cliProgress.SingleBar;
  connectionBar: cliProgress.SingleBar;
  lockBar: cliProgress.SingleBar;
}

/** cli-progress bars: the phase, the import, the workers, connections, lock waits. */
class BarDisplay implements ProgressDisplay {
  /** Created at the first update, so that the set-up steps before it print as plain lines. */
  private bars: Bars | undefined;
  private peakItems = 1;

  private create(): Bars {
    const multi = new cliProgress.MultiBar({
      hideCursor: true, clearOnComplete: false, stopOnComplete: false, autopadding: true, fps: 4, barsize: 24,
      // Redraw every bar on every frame: otherwise a note logged above the bars leaves unchanged ones misplaced.
      forceRedraw: true,
      format: ' {label} {bar} {text}',
    }, cliProgress.Presets.shades_classic);
    return {
      multi,
      run: multi.create(1, 0, { label: 'run        ', text: '' }, { format: ' {label} {text}' }),
      importBar: multi.create(1, 0, { label: 'import     ', text: 'waits for the baseline' }),
      workerBar: multi.create(1, 0, { label: 'workers    ', text: '' }),
      connectionBar: multi.create(1, 0, { label: 'connections', text: '' }),
      lockBar: multi.create(1, 0, { label: 'lock waits ', text: '' }),
    };
  }

  update(s: LiveStatus): void {
    const b = (this.bars ??= this.create());
    b.run.update(0, { text: `${s.window}, ${Math.round(s.elapsedSeconds)} s` });
    if (s.import) {
      const total = s.import.totalRows ?? Math.max(1, s.import.rows);
      b.importBar.setTotal(total);
      b.importBar.update(Math.min(total, s.import.rows), { text: importText(s.import) });
    } else b.importBar.update(0, { text: 'waits for the baseline' });
    this.peakItems = Math.max(this.peakItems, s.workers.itemsPerSecond);
    b.workerBar.setTotal(this.peakItems);
    b.workerBar.update(s.workers.itemsPerSecond, { text: workersText(s.workers) });
    b.connectionBar.setTotal(Math.max(1, s.connections.capacity));
    b.connectionBar.update(s.connections.bulkhead, {
      text: `${s.connections.bulkhead} of a budget of ${s.connections.capacity}; ${s.connections.clients} of max_connections ${s.connections.maxConnections} in use`,
    });
    b.lockBar.setTotal(Math.max(1, s.lockWaits.peak));
    b.lockBar.update(s.lockWaits.now, { text: `${s.lockWaits.now} waiting now, ${s.lockWaits.peak} at most, longest ${fmt(s.lockWaits.longestSeconds, 2)} s` });
  }

  note(line: string): void {
    if (this.bars) this.bars.multi.log(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  }

  stop(): void {
    this.bars?.multi.stop();
  }
}

/** One plain line every 5 s, and one as soon as the window changes or the import ends, for logs and CI. */
class LineDisplay implements ProgressDisplay {
  private lastAt = -Infinity;
  private lastKey = '';

  update(s: LiveStatus): void {
    // Wall-clock time: elapsedSeconds starts again at 0 with each timeline of --compare-pacing.
    const now = Date.now();
    const key = `${s.window} ${s.import?.ended ?? false}`;
    if (now - this.lastAt < 5000 && key === this.lastKey) return;
    this.lastAt = now;
    this.lastKey = key;
    const imp = s.import ? ` | import ${importText(s.import)}` : '';
    this.note(`[${Math.round(s.elapsedSeconds)} s] ${s.window}${imp} | workers ${workersText(s.workers)} | connections ${s.connections.bulkhead}/${s.connections.capacity} ` +
      `(server ${s.connections.clients}/${s.connections.maxConnections}) | lock waits ${s.lockWaits.now} (max ${s.lockWaits.peak})`);
  }

  note(line: string): void {
    process.stdout.write(`${line}\n`);
  }

  stop(): void {}
}
