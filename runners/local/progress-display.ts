import cliProgress from 'cli-progress';

/** What the display shows, refreshed once a second. */
export interface LiveStatus {
  elapsedSeconds: number;
  /** The current window: baseline, waiting, validate, copy, check, dedupe, merge, cooldown. */
  window: string;
  import: { phase: string; rows: number; totalRows: number | undefined; rowsPerSecond: number } | undefined;
  workers: { running: number; wanted: number; itemsPerSecond: number; claimP95Ms: number | undefined };
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

/** cli-progress bars, one per thing the issue asks to see. */
class BarDisplay implements ProgressDisplay {
  private readonly bars = new cliProgress.MultiBar({
    hideCursor: true, clearOnComplete: false, stopOnComplete: false, autopadding: true, fps: 4, barsize: 24,
    // Redraw every bar on every frame: otherwise a note logged above the bars leaves unchanged ones misplaced.
    forceRedraw: true,
    format: ' {label} {bar} {text}',
  }, cliProgress.Presets.shades_classic);
  private readonly run = this.bars.create(1, 0, { label: 'run        ', text: '' }, { format: ' {label} {text}' });
  private readonly importBar = this.bars.create(1, 0, { label: 'import     ', text: 'waits for the baseline' });
  private readonly workerBar = this.bars.create(1, 0, { label: 'workers    ', text: '' });
  private readonly connectionBar = this.bars.create(1, 0, { label: 'connections', text: '' });
  private readonly lockBar = this.bars.create(1, 0, { label: 'lock waits ', text: '' });
  private peakItems = 1;

  update(s: LiveStatus): void {
    this.run.update(0, { text: `${s.window}, ${Math.round(s.elapsedSeconds)} s` });
    if (s.import) {
      const total = s.import.totalRows ?? Math.max(1, s.import.rows);
      this.importBar.setTotal(total);
      this.importBar.update(Math.min(total, s.import.rows), { text: `${s.import.phase}: ${s.import.rows} rows, ${s.import.rowsPerSecond} rows/s` });
    }
    this.peakItems = Math.max(this.peakItems, s.workers.itemsPerSecond);
    this.workerBar.setTotal(this.peakItems);
    this.workerBar.update(s.workers.itemsPerSecond, {
      text: `${s.workers.itemsPerSecond} items/s, ${s.workers.running} of ${s.workers.wanted} workers, claim p95 ${fmt(s.workers.claimP95Ms)} ms`,
    });
    this.connectionBar.setTotal(Math.max(1, s.connections.capacity));
    this.connectionBar.update(s.connections.bulkhead, {
      text: `${s.connections.bulkhead} of a budget of ${s.connections.capacity}; ${s.connections.clients} of max_connections ${s.connections.maxConnections} in use`,
    });
    this.lockBar.setTotal(Math.max(1, s.lockWaits.peak));
    this.lockBar.update(s.lockWaits.now, { text: `${s.lockWaits.now} waiting now, ${s.lockWaits.peak} at most, longest ${fmt(s.lockWaits.longestSeconds, 2)} s` });
  }

  note(line: string): void {
    this.bars.log(`${line}\n`);
  }

  stop(): void {
    this.bars.stop();
  }
}

/** One plain line every 5 s, for logs and CI. */
class LineDisplay implements ProgressDisplay {
  private lastAt = -Infinity;

  update(s: LiveStatus): void {
    if (s.elapsedSeconds - this.lastAt < 5) return;
    this.lastAt = s.elapsedSeconds;
    const imp = s.import ? ` | import ${s.import.phase} ${s.import.rows} rows ${s.import.rowsPerSecond} rows/s` : '';
    this.note(`[${Math.round(s.elapsedSeconds)} s] ${s.window}${imp} | workers ${s.workers.running}/${s.workers.wanted} ` +
      `${s.workers.itemsPerSecond} items/s claim p95 ${fmt(s.workers.claimP95Ms)} ms | connections ${s.connections.bulkhead}/${s.connections.capacity} ` +
      `(server ${s.connections.clients}/${s.connections.maxConnections}) | lock waits ${s.lockWaits.now} (max ${s.lockWaits.peak})`);
  }

  note(line: string): void {
    process.stdout.write(`${line}\n`);
  }

  stop(): void {}
}
