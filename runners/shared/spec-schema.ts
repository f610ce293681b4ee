import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { evaluate } from '@marcbachmann/cel-js';
import { InvalidInputError } from './errors.js';

/** The kinds whose spec a runner validates. */
export type Kind = 'CsvImport' | 'StressRun';

const crdFiles: Record<Kind, string> = {
  CsvImport: 'bulkhead.dev_csvimports.yaml',
  StressRun: 'bulkhead.dev_stressruns.yaml',
};

/** The subset of an OpenAPI v3 schema that the walkers below read. */
export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
}

/** The spec schema of a kind, read from crds/, the one source of truth for the API. */
export function specSchema(kind: Kind): Schema {
  const url = new URL(`../../../crds/${crdFiles[kind]}`, import.meta.url);
  const crd = parseYaml(readFileSync(url, 'utf8')) as {
    spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: Schema } } } }[] };
  };
  const version = crd.spec.versions[0];
  if (!version) throw new Error(`${crdFiles[kind]} has no version`);
  return version.schema.openAPIV3Schema.properties.spec;
}

const compiled = new WeakMap<Schema, ValidateFunction>();
const specSchemas = new Map<Kind, Schema>();

function validatorFor(schema: Schema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    // strictTypes stays off: Kubernetes' int-or-string (anyOf integer or string, with a pattern beside it) is a
    // schema the API server accepts and ajv's type check would refuse.
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false, validateFormats: false });
    // Kubernetes' OpenAPI extensions carry no meaning for ajv; CEL rules are evaluated below.
    for (const keyword of ['x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys',
      'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-map-type']) {
      ajv.addKeyword(keyword);
    }
    ajv.addFormat('date-time', true).addFormat('int32', true).addFormat('int64', true);
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

function specSchemaOf(kind: Kind): Schema {
  let schema = specSchemas.get(kind);
  if (!schema) specSchemas.set(kind, (schema = specSchema(kind)));
  return schema;
}

function fieldPath(base: string, instancePath: string): string {
  return base + instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
}

function describeAjvError(base: string, e: ErrorObject): string {
  const where = fieldPath(base, e.instancePath);
  if (e.keyword === 'required') return `${where}.${String(e.params.missingProperty)}: Required value`;
  if (e.keyword === 'enum') {
    return `${where}: Unsupported value: supported values: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${where}: Invalid value: ${e.message ?? e.keyword}`;
}

/** Fields that the schema does not know, as kubectl's strict validation reports them. */
function unknownFields(schema: Schema, value: unknown, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => unknownFields(schema.items as Schema, v, `${path}[${i}]`, out));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (childSchema) unknownFields(childSchema, child, `${path}.${key}`, out);
    else if (schema.type === 'object' && schema.properties) out.push(`${path}.${key}: unknown field "${key}"`);
  }
}

/** Evaluates the CRD's CEL rules (x-kubernetes-validations) where the API server would, after defaulting. */
function celViolations(schema: Schema, value: unknown, path: string, out: string[]): void {
  if (value === undefined || value === null) return;
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    let ok: unknown;
    try {
      ok = evaluate(rule.rule, { self: value });
    } catch (err) {
      ok = false;
      if (!rule.message) out.push(`${path}: rule ${rule.rule} could not be evaluated: ${(err as Error).message}`);
    }
    if (ok !== true) out.push(`${path}: Invalid value: ${rule.message ?? `failed rule: ${rule.rule}`}`);
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => celViolations(schema.items as Schema, v, `${path}[${i}]`, out));
    return;
  }
  if (typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (childSchema) celViolations(childSchema, child, `${path}.${key}`, out);
  }
}

/**
 * Defaults and checks a value against a schema from crds/, the way the API server does: unknown fields, OpenAPI
 * types, ranges and enums, then the CEL rules. Returns the defaulted copy and every problem, each naming its field
 * under `base` (spec, spec.runner, …).
 */
export function checkAgainstSchema<T>(schema: Schema, value: unknown, base: string): { value: T; problems: string[] } {
  const validate = validatorFor(schema);
  const copy: unknown = structuredClone(value ?? {});
  const problems: string[] = [];
  unknownFields(schema, copy, base, problems);
  if (!validate(copy)) problems.push(...(validate.errors ?? []).map((e) => describeAjvError(base, e)));
  if (problems.length === 0) celViolations(schema, copy, base, problems);
  return { value: copy as T, problems: [...new Set(problems)] };
}

/**
 * Validates and defaults a spec against the CRD schema, as the API server does. Throws InvalidInputError naming
 * every offending field.
 * @param origin where the spec came from (a file name, BULKHEAD_SPEC, or flags), for the message
 */
export function validateSpec<T>(kind: Kind, spec: unknown, origin: string): T {
  const { value, problems } = checkAgainstSchema<T>(specSchemaOf(kind), spec, 'spec');
  if (problems.length > 0) {
    throw new InvalidInputError(`${origin}: ${kind} spec is invalid:\n  ${problems.join('\n  ')}`);
  }
  return value;
}
