/**
 * kubectl against a test control plane, the way a user drives the operator, plus waitFor(), a poll that fails
 * with what it was waiting for and the last value it saw.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { toolPath } from './tools.js';

/** What one kubectl run did. */
export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** kubectl bound to one kubeconfig. */
export interface Kubectl {
  /** Runs `kubectl <args>`; never throws for a non-zero exit. */
  kubectl(args: string[], options?: { stdin?: string }): Promise<KubectlResult>;
  /** `kubectl apply -f -` with yamlText; throws with kubectl's stderr if it fails. */
  applyYaml(yamlText: string): Promise<string>;
  /** `kubectl get <resource> <name> -o json`, parsed; undefined when the object does not exist. */
  getJson<T = Record<string, unknown>>(resource: string, name: string, namespace?: string): Promise<T | undefined>;
  /** Creates a namespace and waits for its `default` ServiceAccount, without which no pod is admitted there. */
  createNamespace(name: string): Promise<void>;
}

/**
 * kubectl with this kubeconfig, and with its discovery cache next to it rather than in ~/.kube (each control
 * plane has its own port, so a shared cache would only grow).
 */
export function kubectlFor(kubeconfig: string): Kubectl {
  const base = ['--kubeconfig', kubeconfig, '--cache-dir', join(dirname(kubeconfig), 'kubectl-cache')];
  const kubectl = (args: string[], options: { stdin?: string } = {}) =>
    new Promise<KubectlResult>((resolve, reject) => {
      const child = spawn(toolPath('kubectl'), [...base, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr: withoutSkewWarning(stderr) }));
      child.stdin.end(options.stdin ?? '');
    });
  const getJson = async <T>(resource: string, name: string, namespace?: string) => {
    const ns = namespace ? ['--namespace', namespace] : [];
    const result = await kubectl(['get', resource, name, ...ns, '-o', 'json']);
    if (result.code !== 0) {
      if (/NotFound|not found/.test(result.stderr)) return undefined;
      throw new Error(`kubectl get ${resource} ${name} failed (exit ${result.code}): ${result.stderr.trim()}`);
    }
    return JSON.parse(result.stdout) as T;
  };
  return {
    kubectl,
    getJson,
    createNamespace: async (name) => {
      const result = await kubectl(['create', 'namespace', name]);
      if (result.code !== 0) throw new Error(`kubectl create namespace ${name} failed: ${result.stderr.trim()}`);
      await waitFor(async () => {
        const account = await getJson('serviceaccount', 'default', name);
        return { done: account !== undefined, value: account ?? 'no ServiceAccount default yet' };
      }, { what: `the default ServiceAccount of namespace ${name}` });
    },
    applyYaml: async (yamlText) => {
      const result = await kubectl(['apply', '-f', '-'], { stdin: yamlText });
      if (result.code !== 0) throw new Error(`kubectl apply failed (exit ${result.code}): ${result.stderr.trim()}`);
      return result.stdout;
    },
  };
}

/** The machine's kubectl is older than the API server; its version-skew warning is noise in every stderr. */
function withoutSkewWarning(stderr: string): string {
  return stderr.split('\n').filter((l) => !l.startsWith('WARNING: version difference between client')).join('\n');
}

/** Options for waitFor(). */
export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Between polls (default 200 ms). */
  intervalMs?: number;
  /** What is awaited, for the failure message: "job/hello to complete". */
  what: string;
}

/**
 * Polls check() until it returns { done: true, value }, then returns the value. check() may throw; the error is
 * remembered like a value. On timeout the error names `what` and shows the last value or error seen.
 */
export async function waitFor<T>(check: () => Promise<{ done: boolean; value: T }>, options: WaitOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown = '(never polled)';
  for (;;) {
    try {
      const { done, value } = await check();
      if (done) return value;
      last = value;
    } catch (e) {
      last = e instanceof Error ? `error: ${e.message}` : e;
    }
    if (Date.now() >= deadline) {
      const shown = typeof last === 'string' ? last : JSON.stringify(last, null, 2);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}; last seen:\n${shown}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
