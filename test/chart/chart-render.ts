/**
 * What the chart tests share: the real helm and promtool (toolPath), `helm template` of charts/bulkhead as parsed
 * objects, and finding objects among them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { toolPath } from '../harness/tools.js';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const chart = join(repo, 'charts', 'bulkhead');
export const releaseNamespace = 'bulkhead-system';
export const work = mkdtempSync(join(tmpdir(), 'bulkhead-chart-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}
interface Probe { httpGet: { path: string; port: string | number } }
export interface Container {
  image: string;
  command?: string[];
  args: string[];
  env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } }; value?: string }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  securityContext: Record<string, unknown>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
export interface Deployment extends Manifest {
  spec: {
    replicas: number;
    strategy?: { type: string };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        serviceAccountName: string; securityContext: Record<string, unknown>; containers: Container[]; hostNetwork?: boolean; dnsPolicy?: string;
        volumes: { name: string; configMap?: { name: string } }[];
      };
    };
  };
}

/** Runs a tool built by build-tools.sh; a failure throws with its output. */
export function run(tool: string, args: string[]): string {
  const path = toolPath(tool);
  try {
    return execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`${tool} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

/** A values file in the work directory. */
export function valuesFile(name: string, values: object): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

/** Parsed YAML documents, the empty ones left out. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Manifest | null).filter((m): m is Manifest => m !== null);
}

/** `helm template` of the chart, as parsed objects; `extra` are more helm arguments (--set …). */
export function helmRender(values: object = {}, extra: string[] = []): Manifest[] {
  return parseManifests(run('helm', ['template', 'bulkhead', chart, '--namespace', releaseNamespace, '--values', valuesFile('render', values), ...extra]));
}

export function ofKind<T extends Manifest>(objects: Manifest[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

export function only<T extends Manifest>(objects: Manifest[], kind: string): T {
  const found = ofKind<T>(objects, kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}`);
  return found[0]!;
}

export function named<T extends Manifest>(objects: Manifest[], kind: string, name: string): T {
  const found = ofKind<T>(objects, kind).filter((o) => o.metadata.name === name);
  assert.equal(found.length, 1, `expected one ${kind} ${name}, got ${found.length}`);
  return found[0]!;
}

export function operatorContainer(objects: Manifest[]): Container {
  const containers = only<Deployment>(objects, 'Deployment').spec.template.spec.containers;
  assert.equal(containers.length, 1);
  return containers[0]!;
}

/** The value after a flag in an args list, or undefined when the flag is absent. */
export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}
