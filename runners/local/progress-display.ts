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
      b.importBar.update(Math.min(total, s.import.rows), { text: `${s.import.phase}: ${s.import.rows} rows, ${s.import.rowsPerSecond} rows/s` });
    }
    this.peakItems = Math.max(this.peakItems, s.workers.itemsPerSecond);
    b.workerBar.setTotal(this.peakItems);
    b.workerBar.update(s.workers.itemsPerSecond, {
      text: `${s.workers.itemsPerSecond} items/s, ${s.workers.running} of ${s.workers.wanted} workers, claim p95 ${fmt(s.workers.claimP95Ms)} ms`,
    });
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
