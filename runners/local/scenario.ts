import { readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { InvalidInputError } from '../shared/errors.js';
import { readManifests, type LocalManifest } from '../shared/manifest.js';
import { validateSpec } from '../shared/spec-schema.js';
import type { CsvImportSpec } from '../shared/generated/csvimport.js';
import type { StressRunSpec } from '../shared/generated/stressrun.js';

/** The annotation that asks `bulkhead local` to generate the import's CSV: its value names the shape. */
export const GENERATE_ANNOTATION = 'bulkhead.dev/local-generate-csv';
/** The one CSV shape local mode can generate: the seed's advertisers. */
const GENERATED_SHAPES = ['advertisers'];
/** Every runner that local mode starts names its connections with this namespace. */
export const LOCAL_NAMESPACE = 'local';

/** A CsvImport to run. */
export interface ScenarioImport {
  name: string;
  origin: string;
  /** The spec as written, source.path resolved against the manifest's folder; the runner validates it again. */
  spec: Record<string, unknown>;
  /** The validated, defaulted spec. */
  validated: CsvImportSpec;
  /** The CSV shape to generate into source.path, when annotated. */
  generate: string | undefined;
}

/** A StressRun to run. */
export interface ScenarioStressRun {
  name: string;
  origin: string;
  spec: Record<string, unknown>;
  validated: StressRunSpec;
}

/** What `bulkhead local` was asked to run. */
export interface Scenario {
  imports: ScenarioImport[];
  stressRuns: ScenarioStressRun[];
  /** Setup SQL files, run in this order before any runner starts. */
  setupSql: string[];
}

/** The files a path stands for: a folder's YAML and SQL files in name order, or the file itself. */
function filesOf(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (cause) {
    throw new InvalidInputError(`${path}: no such file or folder`, { cause });
  }
  if (!isDir) return [path];
  return readdirSync(path).sort().map((f) => join(path, f)).filter((f) => ['.yaml', '.yml', '.sql'].includes(extname(f)));
}

/**
 * Loads and validates every manifest the paths name, the way the API server would (same messages), before
 * anything runs. A relative source.path is taken from the manifest's folder.
 */
export function loadScenario(paths: string[]): Scenario {
  const scenario: Scenario = { imports: [], stressRuns: [], setupSql: [] };
  const manifests: LocalManifest[] = [];
  for (const file of paths.flatMap(filesOf)) {
    if (extname(file) === '.sql') scenario.setupSql.push(file);
    else manifests.push(...readManifests(file, LOCAL_NAMESPACE));
  }
  for (const m of manifests) {
    const origin = `${m.origin}: ${m.kind} ${m.name}`;
    const spec = structuredClone(m.spec ?? {}) as Record<string, unknown>;
    if (m.kind === 'CsvImport') {
      const source = spec.source as { path?: unknown } | undefined;
      if (typeof source?.path === 'string' && source.path !== '-') source.path = resolve(dirname(m.origin), source.path);
      const generate = m.annotations[GENERATE_ANNOTATION];
      if (generate !== undefined && !GENERATED_SHAPES.includes(generate)) {
        throw new InvalidInputError(`${origin}: metadata.annotations[${GENERATE_ANNOTATION}]: Unsupported value: supported values: ${GENERATED_SHAPES.map((s) => JSON.stringify(s)).join(', ')}`);
      }
      const validated = validateSpec<CsvImportSpec>('CsvImport', spec, origin);
      if (generate !== undefined && !validated.source.path) throw new InvalidInputError(`${origin}: spec.source.path: Required value: the generated CSV is written there`);
      scenario.imports.push({ name: m.name, origin, spec, validated, generate });
    } else {
      scenario.stressRuns.push({ name: m.name, origin, spec, validated: validateSpec<StressRunSpec>('StressRun', spec, origin) });
    }
  }
  if (scenario.stressRuns.length === 0) throw new InvalidInputError(`${paths.join(', ')}: no StressRun found; the report measures queue workers, so name at least one`);
  if (scenario.imports.length > 1) {
    throw new InvalidInputError(`${scenario.imports.map((i) => i.origin).join(', ')}: bulkhead local runs one CsvImport at a time, so each phase of the report is one import's`);
  }
  const names = scenario.stressRuns.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new InvalidInputError(`StressRun ${twice} is named twice`);
  return scenario;
}
