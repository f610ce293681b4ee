import { validationOf, type FieldSchema } from './crd-reference.js';
import { code, generatedBanner, markdownTable } from './markdown-table.js';

/** The parts of charts/bulkhead/values.schema.json that the reference shows: JSON Schema, as a CRD's is, plus refs. */
export interface ValueSchema extends Omit<FieldSchema, 'type' | 'properties' | 'items'> {
  type?: string | string[];
  properties?: Record<string, ValueSchema>;
  items?: ValueSchema;
  $ref?: string;
}

/**
 * The chart's values, one row per value: its path, type, default (from values.yaml) and description (from
 * values.schema.json, which also refuses a value it does not list). The schema is the one source: a value added
 * without a description, or a default changed, shows here and fails the freshness test until regenerated.
 */
export function chartValuesReference(schema: ValueSchema, defaults: Record<string, unknown>): string {
  const rows: string[][] = [];
  const walk = (node: ValueSchema, path: string, value: unknown): void => {
    if (node.$ref) {
      // The operator's own pod settings reuse the runner's schema (#/properties/runner/properties/resources).
      const target = node.$ref.replace(/^#\//, '').split('/').filter((part) => part !== 'properties').join('.');
      const shared = resolve(schema, node.$ref);
      rows.push([code(path), typeOf(shared), value === undefined ? '' : code(JSON.stringify(value)), `The operator pod's; the same schema as ${code(target)}.`]);
      return;
    }
    const children = Object.entries(node.properties ?? {});
    if (children.length > 0 && node.type !== 'array') {
      for (const [name, child] of children) walk(child, path ? `${path}.${name}` : name, (value as Record<string, unknown> | undefined)?.[name]);
      return;
    }
    rows.push([code(path), typeOf(node), value === undefined ? '' : code(JSON.stringify(value)), [node.description ?? '', rules(node)].filter(Boolean).join(' ')]);
  };
  walk(schema, '', defaults);
  return [
    generatedBanner('charts/bulkhead/values.schema.json and values.yaml'),
    '',
    '# Chart values reference',
    '',
    'Every value of `charts/bulkhead`, with its default in `values.yaml`. The chart\'s `values.schema.json` refuses any',
    'other value and any value of the wrong type (`helm lint --strict`, `helm install`). How the main ones fit together:',
    '[../chart.md](../chart.md).',
    '',
    markdownTable(['value', 'type', 'default', 'description'], rows),
  ].join('\n');
}

/** The node a local JSON pointer (`#/properties/…`) names. */
function resolve(schema: ValueSchema, ref: string): ValueSchema {
  let node: unknown = schema;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[part];
  return node as ValueSchema;
}

function typeOf(node: ValueSchema): string {
  const type = Array.isArray(node.type) ? node.type.join(' or ') : node.type ?? 'any';
  return node.type === 'array' && node.items?.type ? `array of ${String(node.items.type)}` : type;
}

function rules(node: ValueSchema): string {
  // Only this node's own checks: its children have rows of their own.
  const parts = validationOf({ ...node, type: undefined, properties: undefined, items: undefined });
  return parts.length > 0 ? `(${parts.join('; ')})` : '';
}
