import * as models from '@kubernetes/client-node';

interface Model {
  getAttributeTypeMap(): { baseName: string; type: string }[];
}

/**
 * The fields of `value` that the Kubernetes type `type` (a client-node model name, such as V1Affinity) does not
 * have, each as "path.key: unknown field". client-node sends only the fields its models know, so a typo in a
 * Kubernetes object passed through as it is (spec.runner.affinity) would vanish silently; this names it instead.
 */
export function unknownApiFields(value: unknown, type: string, path: string): string[] {
  const element = /^Array<(.+)>$/.exec(type)?.[1];
  if (element) return Array.isArray(value) ? value.flatMap((v, i) => unknownApiFields(v, element, `${path}[${i}]`)) : [];
  const model = (models as unknown as Record<string, Partial<Model> | undefined>)[type];
  if (!model?.getAttributeTypeMap || value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([key, child]) => {
    const childType = fields.get(key);
    return childType === undefined ? [`${path}.${key}: unknown field "${key}"`] : unknownApiFields(child, childType, `${path}.${key}`);
  });
}
