import { code, generatedBanner, markdownTable } from './markdown-table.js';

/** The parts of an OpenAPI v3 schema (with Kubernetes' extensions) that a CRD uses and the reference shows. */
export interface FieldSchema {
  type?: string;
  format?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, FieldSchema>;
  items?: FieldSchema;
  additionalProperties?: FieldSchema | boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

/** A CustomResourceDefinition, as far as the reference reads it. */
export interface CrdDocument {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: object; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
      additionalPrinterColumns?: { name: string; type: string; jsonPath: string; description?: string }[];
      schema: { openAPIV3Schema: FieldSchema };
    }[];
  };
}

/** docs/reference/crds.md: every CRD's every field, with its type, default, validation (CEL rules too) and description. */
export function crdReference(crds: { file: string; crd: CrdDocument }[]): string {
  const sorted = [...crds].sort((a, b) => a.crd.spec.names.kind.localeCompare(b.crd.spec.names.kind));
  return [
    generatedBanner('crds/*.yaml'),
    '',
    '# CRD reference',
    '',
    'Every field of bulkhead\'s custom resources, read from the CRDs in `crds/`, the one schema that the API server, the',
    'runners (`bulkhead import --manifest`, `BULKHEAD_SPEC`) and `bulkhead local` all validate against, CEL rules included.',
    'A field with a default is filled in by the API server when it is left out.',
    '',
    ...sorted.map(({ crd }) => `- [${crd.spec.names.kind}](#${crd.spec.names.kind.toLowerCase()})`),
    '',
    ...sorted.flatMap(({ file, crd }) => crd.spec.versions.flatMap((version) => versionSection(file, crd, version))),
  ].join('\n');
}

function versionSection(file: string, crd: CrdDocument, version: CrdDocument['spec']['versions'][number]): string[] {
  const { names, group, scope } = crd.spec;
  const root = version.schema.openAPIV3Schema;
  const facts = [
    `API version \`${group}/${version.name}\`${version.storage ? ' (stored)' : ''}${version.served ? '' : ', not served'}`,
    `${scope.toLowerCase()}`,
    `\`kubectl get ${[names.plural, ...(names.shortNames ?? [])].join('`, `')}\``,
    ...(names.categories?.length ? [`categories ${names.categories.map((c) => `\`${c}\``).join(', ')}`] : []),
    `defined in \`crds/${file}\``,
  ];
  const scale = version.subresources?.scale;
  const out = [`## ${names.kind}`, '', `${facts.join('; ')}.`, '', oneLine(root.description), ''];
  if (scale) out.push(`The scale subresource maps \`${scale.specReplicasPath}\` to \`${scale.statusReplicasPath}\` (\`kubectl scale ${names.singular ?? names.kind.toLowerCase()}/NAME --replicas=N\`).`, '');
  if (version.additionalPrinterColumns?.length) {
    out.push('Columns of `kubectl get`:', '', markdownTable(['Column', 'Type', 'From'],
      version.additionalPrinterColumns.map((c) => [c.name, c.type, code(c.jsonPath)])), '');
  }
  for (const part of ['spec', 'status']) {
    const schema = root.properties?.[part];
    if (!schema) continue;
    out.push(`### ${names.kind} ${part}`, '', markdownTable(['Field', 'Type', 'Default', 'Validation', 'Description'],
      fieldRows(part, schema, root.required?.includes(part) ?? false)), '');
  }
  return out;
}

/** The field's own row, then its children's, depth first in the order the CRD declares them. */
function fieldRows(path: string, schema: FieldSchema, required: boolean): string[][] {
  const row = [code(path), `${typeOf(schema)}${required ? ', required' : ''}`, schema.default === undefined ? '' : code(JSON.stringify(schema.default)),
    validationOf(schema).join('; '), oneLine(schema.description)];
  const children = Object.entries(schema.properties ?? {}).flatMap(([name, child]) => fieldRows(`${path}.${name}`, child, schema.required?.includes(name) ?? false));
  const items = schema.type === 'array' && schema.items?.properties ? fieldRows(`${path}[]`, schema.items, false) : [];
  const values = typeof schema.additionalProperties === 'object' && schema.additionalProperties.properties
    ? fieldRows(`${path}.<name>`, schema.additionalProperties, false) : [];
  return [row, ...children, ...items, ...values];
}

function typeOf(schema: FieldSchema): string {
  if (schema['x-kubernetes-int-or-string']) return 'integer or string';
  if (schema.type === 'array') return `[]${schema.items ? typeOf(schema.items) : 'any'}`;
  if (typeof schema.additionalProperties === 'object') return `map[string]${typeOf(schema.additionalProperties)}`;
  if (schema['x-kubernetes-preserve-unknown-fields'] && !schema.properties) return 'object (any fields)';
  return `${schema.type ?? 'any'}${schema.format ? ` (${schema.format})` : ''}`;
}

/**
 * What the API server checks beyond the type: enums, bounds, patterns, list semantics and CEL rules with their
 * messages. The chart values reference reads the chart's values schema with it too.
 */
export function validationOf(schema: FieldSchema): string[] {
  const rules: string[] = [];
  if (schema.enum) rules.push(`one of ${schema.enum.map((v) => code(typeof v === 'string' && v !== '' ? v : JSON.stringify(v))).join(', ')}`);
  const bound = (name: string, min: number | undefined, max: number | undefined, exclusive = [false, false]): void => {
    if (min !== undefined && max !== undefined && !exclusive[0] && !exclusive[1]) rules.push(min === max ? `${name} ${min}` : `${name} ${min} to ${max}`);
    else {
      if (min !== undefined) rules.push(`${name} ${exclusive[0] ? '>' : '>='} ${min}`);
      if (max !== undefined) rules.push(`${name} ${exclusive[1] ? '<' : '<='} ${max}`);
    }
  };
  bound('value', schema.minimum, schema.maximum, [schema.exclusiveMinimum ?? false, schema.exclusiveMaximum ?? false]);
  bound('length', schema.minLength, schema.maxLength);
  bound('items', schema.minItems, schema.maxItems);
  bound('entries', schema.minProperties, schema.maxProperties);
  if (schema.pattern) rules.push(`matches ${code(schema.pattern)}`);
  if (schema.nullable) rules.push('may be null');
  if (schema['x-kubernetes-list-type'] === 'set') rules.push('no duplicates');
  if (schema['x-kubernetes-list-map-keys']) rules.push(`one entry per ${schema['x-kubernetes-list-map-keys'].map(code).join(', ')}`);
  const nested = schema.type === 'array' ? schema.items : typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  if (nested && !nested.properties) {
    const each = validationOf(nested);
    if (each.length > 0) rules.push(`each: ${each.join(', ')}`);
  }
  for (const rule of schema['x-kubernetes-validations'] ?? []) rules.push(`${code(rule.rule)}${rule.message ? ` (${rule.message})` : ''}`);
  return rules;
}

function oneLine(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}
