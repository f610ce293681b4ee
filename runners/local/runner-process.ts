import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LOCAL_NAMESPACE } from './scenario.js';

/** The bulkhead executable that pods run; local mode runs the very same one. */
const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

/** pino's level of error records. */
const ERROR_LEVEL = 50;

/** Runners still running; if `bulkhead local` exits anyway (a second Ctrl-C), they are killed with it. */
const live = new Set<RunnerProcess>();
process.once('exit', () => live.forEach((r) => r.kill()));

/** How a runner process ended. */
export interface RunnerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One `bulkhead import`, `bulkhead worker` or `bulkhead queue init` to start. */
export interface RunnerOptions {
  /** The subcommand and its flags, e.g. ['worker', '--timings-file', f]. */
  args: string[];
  /** The CR's spec, passed as BULKHEAD_SPEC exactly as the operator passes it to a pod. */
  spec: unknown;
  /** metadata.name, passed as BULKHEAD_NAME. */
  name: string;
  databaseUrl: string;
  /** BULKHEAD_POD_NAME: who a worker's claims name in locked_by. */
  podName?: string;
  /** Each JSON log record the runner writes on stderr. */
  onRecord?: (record: Record<string, unknown>) => void;
}

/**
 * A runner started as a child process. It gets its own process group, so a Ctrl-C at the terminal reaches only
 * `bulkhead local`, which then stops each runner with one SIGTERM, as Kubernetes would (a second signal would
 * make a runner exit at once, without its clean shutdown).
 */
export class RunnerProcess {
  readonly exited: Promise<RunnerExit>;
  /** Everything it printed on stdout (an import's summary line). */
  stdout = '';
  /** Its last error messages on stderr: the messages of its error records, and any line that is not a record. */
  readonly messages: string[] = [];
  private readonly child: ChildProcess;
  private running = true;
  private stopping = false;

  constructor(options: RunnerOptions) {
    // Its log as JSON records at info, whatever the user's BULKHEAD_LOG_* say: the phases are read from them.
    this.child = spawn(process.execPath, [CLI, '--log-format', 'json', '--log-level', 'info', ...options.args], {
      env: {
        ...process.env,
        // The URL goes in the environment, not argv, where any user's `ps` would show its password.
        DATABASE_URL: options.databaseUrl,
        BULKHEAD_SPEC: JSON.stringify(options.spec),
        BULKHEAD_NAME: options.name,
        BULKHEAD_NAMESPACE: LOCAL_NAMESPACE,
        ...(options.podName ? { BULKHEAD_POD_NAME: options.podName } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    live.add(this);
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    if (this.child.stderr) {
      createInterface({ input: this.child.stderr }).on('line', (line) => {
        const record = parseRecord(line);
        if (record) options.onRecord?.(record);
        // Why it failed: its error records, or a line that is not a record (a crash of node itself).
        const message = record ? (Number(record.level) >= ERROR_LEVEL ? String(record.msg) : undefined) : line.trim() || undefined;
        if (message !== undefined) {
          this.messages.push(message);
          if (this.messages.length > 20) this.messages.shift();
        }
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.messages.push(err.message);
        this.running = false;
        live.delete(this);
        resolve({ code: 1, signal: null });
      });
      this.child.once('close', (code, signal) => {
        this.running = false;
        live.delete(this);
        resolve({ code, signal });
      });
    });
  }

  /** Whether it is still running. */
  get alive(): boolean {
    return this.running;
  }

  /** Whether stop() was called: an exit after it is expected. */
  get stopRequested(): boolean {
    return this.stopping;
  }

  /** Asks it to shut down cleanly, once. */
  stop(): void {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    this.child.kill('SIGTERM');
  }

  /** Ends it at once; for a runner that did not stop within its deadline, and on exit. */
  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  /** Stops it and waits for it; after `deadlineMs`, kills it. */
  async stopAndWait(deadlineMs: number): Promise<RunnerExit> {
    this.stop();
    const timer = setTimeout(() => this.kill(), deadlineMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A short description of how a runner ended, for messages: "exit 2: <its last message>". */
export function describeExit(exit: RunnerExit, runner: RunnerProcess): string {
  const how = exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code ?? '?'}`;
  const last = runner.messages.at(-1);
  return last ? `${how}: ${last}` : how;
}
