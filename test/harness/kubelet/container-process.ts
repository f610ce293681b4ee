/**
 * One run of a pod's container as a local process.
 *
 * - The command: a container without `command` runs the bulkhead image's ENTRYPOINT (the CLI) with its args, and a
 *   command that starts with `bulkhead` runs the built CLI (`node dist/runners/cli.js …`). Any other command
 *   (`node`, `sh`) runs as it is, found on PATH. $(VAR) references in command and args are expanded from the env.
 * - The working directory is the checkout, which holds what the image's /app holds (dist, node_modules, crds).
 * - The environment is PATH and HOME of this process, HOSTNAME (the pod name) and the container's resolved env;
 *   nothing else of the test runner's environment (DATABASE_URL in particular) leaks in.
 * - Termination message: a kubelet reads terminationMessagePath (/dev/termination-log), which a local process
 *   cannot have. bulkhead's runners print their summary as the last stdout line too, so the message is the last
 *   non-empty stdout line, at most 4096 bytes (the kubelet's limit for that file), whatever the container's
 *   terminationMessagePolicy.
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { killLeftovers, spawnTracked } from '../child-processes.js';
import { CLI } from '../run-cli.js';
import { expandReferences } from './container-env.js';
import type { PodLogs } from './pod-logs.js';
import type { Terminated } from './pod-status.js';

const CHECKOUT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAX_MESSAGE_BYTES = 4096;
/** How long to wait for the pipes to drain after the process exits (a grandchild may hold them open). */
const DRAIN_MS = 1000;

/** A started container. */
export interface ContainerProcess {
  child: ChildProcess;
  startedAt: Date;
  /** Resolves when the container has exited and its output is read. */
  finished: Promise<Terminated>;
}

/** The argv the container runs. */
export function containerArgv(container: V1Container, env: Record<string, string>): string[] {
  const expand = (list: string[] | undefined) => (list ?? []).map((a) => expandReferences(a, env));
  const command = expand(container.command);
  const args = expand(container.args);
  if (command.length === 0) return [process.execPath, CLI, ...args];
  if (command[0] === 'bulkhead') return [process.execPath, CLI, ...command.slice(1), ...args];
  return [...command, ...args];
}

/** The last non-empty line of text, cut to the kubelet's termination-message limit. */
export function lastLine(text: string): string {
  const line = text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '').pop() ?? '';
  const bytes = Buffer.from(line);
  return bytes.length <= MAX_MESSAGE_BYTES ? line : bytes.subarray(bytes.length - MAX_MESSAGE_BYTES).toString();
}

/** Starts the pod's first container with the resolved env; output goes to logs. */
export function startContainer(pod: V1Pod, container: V1Container, env: Record<string, string>, logs: PodLogs): ContainerProcess {
  const namespace = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  const [command = '', ...args] = containerArgv(container, env);
  const hostEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' };
  const startedAt = new Date();
  const child = spawnTracked(command, args, { cwd: CHECKOUT, env: { ...hostEnv, HOSTNAME: name, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // Keep enough of stdout's end to find the last line in.
  let stdoutTail = '';
  child.stdout?.on('data', (d: Buffer) => {
    const text = d.toString();
    stdoutTail = (stdoutTail + text).slice(-4 * MAX_MESSAGE_BYTES);
    logs.append(namespace, name, text);
  });
  child.stderr?.on('data', (d: Buffer) => logs.append(namespace, name, d.toString()));
  const finished = new Promise<Terminated>((resolve) => {
    child.once('error', (e) => {
      logs.append(namespace, name, `fake-kubelet: cannot start ${command}: ${e.message}\n`);
      resolve({ exitCode: 128, reason: 'StartError', message: e.message, startedAt, finishedAt: new Date() });
    });
    child.once('exit', (code, signal) => {
      const finishedAt = new Date();
      // The container's other processes die with its main process.
      killLeftovers(child);
      const drained = new Promise<void>((r) => {
        child.once('close', () => r());
        setTimeout(r, DRAIN_MS).unref();
      });
      void drained.then(() => resolve({
        exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0),
        ...(signal ? { signal } : {}),
        message: lastLine(stdoutTail),
        startedAt,
        finishedAt,
      }));
    });
  });
  return { child, startedAt, finished };
}
