import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { InvalidInputError } from './errors.js';
import type { Kind } from './spec-schema.js';

/** A CR as written in a manifest: the parts a runner reads. */
export interface Manifest {
  kind: Kind;
  name: string;
  namespace: string;
  spec: unknown;
  /** Where it came from, for messages. */
  origin: string;
}

/** A manifest as `bulkhead local` reads it: any bulkhead kind, with its annotations. */
export interface LocalManifest extends Manifest {
  annotations: Record<string, string>;
}

/** Reads every CsvImport and StressRun document of a YAML file, in order; other kinds are left out. */
export function readManifests(file: string, defaultNamespace: string): LocalManifest[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new InvalidInputError(`${file}: cannot read the manifest`, { cause });
  }
  const docs = parseAllDocuments(text);
  const found: LocalManifest[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const pos = e?.linePos?.[0];
      throw new InvalidInputError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e?.message ?? ''}`);
    }
    const obj = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown; annotations?: unknown }; spec?: unknown } | null;
    const kind = obj?.kind;
    if (kind !== 'CsvImport' && kind !== 'StressRun') continue;
    const name = obj?.metadata?.name;
    if (typeof name !== 'string' || name === '') throw new InvalidInputError(`${file}: ${kind} metadata.name: Required value`);
    const namespace = typeof obj?.metadata?.namespace === 'string' ? obj.metadata.namespace : defaultNamespace;
    const annotations = (obj?.metadata?.annotations ?? {}) as Record<string, string>;
    found.push({ kind, name, namespace, spec: obj?.spec ?? {}, origin: file, annotations });
  }
  return found;
}

/** Reads the first document of the given kind from a YAML manifest file. */
export function readManifestFile(file: string, kind: Kind, defaultNamespace: string): Manifest {
  const manifest = readManifests(file, defaultNamespace).find((m) => m.kind === kind);
  if (!manifest) throw new InvalidInputError(`${file}: no ${kind} document found`);
  return { kind: manifest.kind, name: manifest.name, namespace: manifest.namespace, spec: manifest.spec, origin: manifest.origin };
}

/**
 * Where a runner's spec comes from, in order: a manifest file (--manifest), the BULKHEAD_SPEC variable (how the
 * operator passes it, with BULKHEAD_NAME and BULKHEAD_NAMESPACE), or nothing but the flags.
 */
export function loadManifest(kind: Kind, manifestFile: string | undefined, env: NodeJS.ProcessEnv): Manifest {
  const namespace = env.BULKHEAD_NAMESPACE ?? 'local';
  if (manifestFile) return readManifestFile(manifestFile, kind, namespace);
  if (env.BULKHEAD_SPEC) return { kind, name: env.BULKHEAD_NAME ?? '', namespace, spec: parseSpecVariable(env.BULKHEAD_SPEC), origin: 'BULKHEAD_SPEC' };
  return { kind, name: '', namespace, spec: {}, origin: 'command line' };
}

/** Parses the BULKHEAD_SPEC variable, which is how the operator hands a runner its spec. */
function parseSpecVariable(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (cause) {
    throw new InvalidInputError('BULKHEAD_SPEC: not valid JSON', { cause });
  }
}
