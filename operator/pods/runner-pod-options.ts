import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InvalidInputError } from '../../runners/shared/errors.js';
import type { CsvImportSpec } from '../../runners/shared/generated/csvimport.js';
import { checkAgainstSchema, specSchema, type Schema } from '../../runners/shared/spec-schema.js';
import { unknownApiFields } from './api-fields.js';

/**
 * A runner pod's resources, scheduling and metadata: a CR's spec.runner, and the operator's defaults for it (the
 * chart's `runner` values, through --runner-pod-defaults-file). Both have the schema of spec.runner in crds/.
 */
export type RunnerPodOptions = NonNullable<CsvImportSpec['runner']>;

/** The resources of a runner container that neither the defaults nor its CR set. */
export const BUILT_IN_RUNNER_RESOURCES: NonNullable<RunnerPodOptions['resources']> = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '512Mi' },
};

/** spec.runner's schema, the same in both CRDs (test/unit/runner-pod.test.ts compares them). */
function runnerSchema(): Schema {
  const schema = specSchema('CsvImport').properties?.runner;
  if (!schema) throw new Error('crds/bulkhead.dev_csvimports.yaml has no spec.runner');
  return schema;
}

/**
 * Reads --runner-pod-defaults-file (YAML or JSON) and checks it against spec.runner's schema, CEL rules included,
 * at start-up: a mistake stops the operator with a message naming the file and the field (runner.tolerations[0]…,
 * as the chart's values name it), instead of failing every runner pod later.
 */
export function readRunnerPodDefaults(path: string): RunnerPodOptions {
  const where = `--runner-pod-defaults-file ${path}`;
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidInputError(`${where}: ${(err as Error).message}`, { cause: err });
  }
  if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
    throw new InvalidInputError(`${where}: expected a mapping of runner pod settings (resources, nodeSelector, …)`);
  }
  const { value, problems } = checkAgainstSchema<RunnerPodOptions>(runnerSchema(), parsed ?? {}, 'runner');
  if (problems.length === 0) problems.push(...affinityProblems(value, 'runner'));
  if (problems.length > 0) throw new InvalidInputError(`${where}: invalid runner pod defaults:\n  ${problems.join('\n  ')}`);
  return value;
}

/**
 * The fields of an affinity that Kubernetes' Affinity lacks. The CRD keeps the affinity terms as they are (their
 * schema is Kubernetes' own, and large); the API server checks the rest when the operator creates the pod.
 */
function affinityProblems(options: RunnerPodOptions | undefined, base: string): string[] {
  return options?.affinity ? unknownApiFields(options.affinity, 'V1Affinity', `${base}.affinity`) : [];
}

/** What keeps a CR's spec.runner from making a pod that the schema cannot tell (a typo inside affinity), or undefined. */
export function runnerSpecError(runner: RunnerPodOptions | undefined): string | undefined {
  const problems = affinityProblems(runner, 'spec.runner');
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * What one runner pod gets: each field the CR sets replaces the default's; labels and annotations are the two
 * merged, the CR's winning on a shared key; resources fall back to BUILT_IN_RUNNER_RESOURCES. Pure.
 */
export function effectiveRunnerOptions(defaults: RunnerPodOptions, override: RunnerPodOptions | undefined): RunnerPodOptions {
  const merged: RunnerPodOptions = { ...defaults, ...override };
  merged.resources = override?.resources ?? defaults.resources ?? BUILT_IN_RUNNER_RESOURCES;
  for (const key of ['labels', 'annotations'] as const) {
    const both = { ...defaults[key], ...override?.[key] };
    if (Object.keys(both).length > 0) merged[key] = both;
    else delete merged[key];
  }
  return merged;
}
