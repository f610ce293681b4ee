/**
 * What the fake kubelet's containers wrote to stdout and stderr, per pod: kept in memory (the last MiB) for a
 * test's failure message, and appended to <dir>/<namespace>_<pod>.log for a look after the run.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const MEMORY_LIMIT = 1024 * 1024;

/** Output of every pod this kubelet ran, by namespace/name (a recreated pod of the same name continues the log). */
export class PodLogs {
  private readonly text = new Map<string, string>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** The log file of a pod. */
  file(namespace: string, name: string): string {
    return join(this.dir, `${namespace}_${name}.log`);
  }

  /** Appends output of a pod's container. */
  append(namespace: string, name: string, chunk: string): void {
    const key = `${namespace}/${name}`;
    const all = (this.text.get(key) ?? '') + chunk;
    this.text.set(key, all.length > MEMORY_LIMIT ? all.slice(-MEMORY_LIMIT) : all);
    appendFileSync(this.file(namespace, name), chunk);
  }

  /** Everything kept for a pod, or '' if it never ran here. */
  get(namespace: string, name: string): string {
    return this.text.get(`${namespace}/${name}`) ?? '';
  }
}
