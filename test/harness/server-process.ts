/**
 * One long-running server of the test control plane (etcd, kube-apiserver, kube-controller-manager): started with
 * its output appended to a log file, probed until ready, and stopped or restarted with the same arguments.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { spawnTracked, stopChild } from './child-processes.js';

/** Answers whether the server is ready; throws or returns false while it is not. */
export type ReadinessProbe = () => Promise<boolean>;

/** How to run one server. */
export interface ServerSpec {
  /** Short name, used in messages. */
  name: string;
  command: string;
  args: string[];
  /** Where stdout and stderr go (appended, across restarts). */
  logFile: string;
  ready: ReadinessProbe;
  /** How long it may take to become ready. */
  readyTimeoutMs: number;
}

const STOP_GRACE_MS = 10_000;

/** The last lines of a log file, for an error message. */
function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A started server. */
export class ServerProcess {
  private child: ChildProcess | undefined;

  constructor(readonly spec: ServerSpec) {}

  /** Starts the server and waits until its probe says ready; on failure it is stopped and the error shows its log. */
  async start(): Promise<void> {
    const { name, command, args, logFile } = this.spec;
    const fd = openSync(logFile, 'a');
    try {
      this.child = spawnTracked(command, args, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const child = this.child;
    const deadline = Date.now() + this.spec.readyTimeoutMs;
    let lastError = '';
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready; the end of ${logFile}:\n${tail(logFile)}`);
      }
      try {
        if (await this.spec.ready()) return;
      } catch (e) {
        lastError = e instanceof Error ? e.message : String(e);
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`${name} was not ready after ${this.spec.readyTimeoutMs} ms (last probe error: ${lastError || 'none'}); the end of ${logFile}:\n${tail(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM, then SIGKILL after graceMs (default 10 s). */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await stopChild(child, graceMs);
  }
}
