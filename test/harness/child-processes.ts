/**
 * Child processes of the test harness (etcd, kube-apiserver, kube-controller-manager, the fake kubelet's pods)
 * that cannot outlive the test process.
 *
 * Each one runs in its own process group, so that stopping it also stops whatever it started (a pod's `sh -c`
 * children, say). A clean stop is stopChild(). For the unclean ends (a test file killed on timeout, an uncaught
 * error, Ctrl-C), a small watchdog process holds the other end of a pipe from this process: when the pipe closes,
 * which the OS does however this process dies, it SIGKILLs every process group still registered and removes the
 * registered temp directories. Node has no PR_SET_PDEATHSIG, and an 'exit' handler does not run on a signal.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Writable } from 'node:stream';

const WATCHDOG = `
const { rmSync } = require('node:fs');
const groups = new Set(), dirs = new Set();
let pending = '';
process.stdin.on('data', (d) => {
  pending += d;
  const lines = pending.split('\\n');
  pending = lines.pop();
  for (const line of lines) {
    const [op, kind, ...rest] = line.split(' ');
    const value = rest.join(' ');
    const set = kind === 'group' ? groups : dirs;
    if (op === '+') set.add(value); else set.delete(value);
  }
});
process.stdin.on('end', () => {
  for (const pid of groups) { try { process.kill(-Number(pid), 'SIGKILL'); } catch {} }
  for (const dir of dirs) { try { rmSync(dir, { recursive: true, force: true }); } catch {} }
  process.exit(0);
});
`;

let watchdogInput: Writable | undefined;

function tellWatchdog(line: string): void {
  if (!watchdogInput) {
    const watchdog = spawn(process.execPath, ['-e', WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.unref();
    // The pipe must not keep this process alive either; it closes when this process exits.
    (watchdog.stdin as Writable & { unref?: () => void }).unref?.();
    watchdogInput = watchdog.stdin ?? undefined;
  }
  watchdogInput?.write(`${line}\n`);
}

/** Removes dir if this process dies without cleaning up; forgetDirectory() once it is removed or kept on purpose. */
export function removeDirectoryOnCrash(dir: string): void {
  tellWatchdog(`+ dir ${dir}`);
}

/** Undoes removeDirectoryOnCrash(). */
export function forgetDirectory(dir: string): void {
  tellWatchdog(`- dir ${dir}`);
}

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Starts a child process in its own process group, killed with this process however this process ends. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    tellWatchdog(`+ group ${pid}`);
    child.once('exit', () => tellWatchdog(`- group ${pid}`));
  }
  return child;
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<ChildExit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A command that cannot be spawned emits 'error' and no 'exit'.
    child.once('error', () => resolve({ code: child.exitCode ?? 127, signal: null }));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Stops a child the way a container runtime stops a container: SIGTERM to the main process only, up to graceMs for
 * it to exit, then SIGKILL; and once the main process is gone, SIGKILL to anything left in its process group.
 */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<ChildExit> {
  const running = child.exitCode === null && child.signalCode === null;
  if (running) child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      resolve();
    }, graceMs);
  });
  const exit = await Promise.race([exited(child), killed.then(() => exited(child))]);
  clearTimeout(timer);
  killGroup(child, 'SIGKILL');
  return exit;
}

/** SIGKILLs whatever is left in an exited child's process group (a container's processes die with its PID 1). */
export function killLeftovers(child: ChildProcess): void {
  killGroup(child, 'SIGKILL');
}
