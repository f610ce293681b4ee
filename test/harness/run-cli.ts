import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI, run as a user would run it. */
export const CLI = fileURLToPath(new URL('../../runners/cli.js', import.meta.url));

/** What a finished command did. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What a person reads on stderr: each JSON log record's message, or the line itself, one a line. */
  messages: string;
}

/** Options for one CLI run. */
export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: string | Buffer | NodeJS.ReadableStream;
  /** Called once the process has started, for tests that signal it. */
  onSpawn?: (child: ChildProcess) => void;
  /** Called for each stderr chunk, for tests that wait for a phase. */
  onStderr?: (text: string, child: ChildProcess) => void;
  /** A command that runs node in its place, such as /usr/bin/time with its arguments. */
  wrapper?: string[];
}

/** Runs `bulkhead <args>` to completion. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [command, ...commandArgs] = [...(options.wrapper ?? []), process.execPath, CLI, ...args] as [string, ...string[]];
    const child = spawn(command, commandArgs, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, messages: messagesOf(stderr) }));
    options.onSpawn?.(child);
    const input = options.stdin;
    if (input === undefined) child.stdin.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) child.stdin.end(input);
    else input.pipe(child.stdin);
  });
}

/** The summary JSON line from an import's stdout. */
export function summaryOf(result: CliResult): Record<string, unknown> {
  const line = result.stdout.trim().split('\n').find((l) => l.includes('"event":"summary"'));
  if (!line) throw new Error(`no summary line; stderr was:\n${result.stderr}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** The messages of the JSON log records in `stderr` (and any other line as it is), one a line. */
export function messagesOf(stderr: string): string {
  return stderr.split('\n').filter((line) => line !== '').map((line) => {
    try {
      const record = JSON.parse(line) as { msg?: unknown };
      return typeof record.msg === 'string' ? record.msg : line;
    } catch {
      return line;
    }
  }).join('\n');
}
