import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';
import { httpStatus } from './api-errors.js';
import { GROUP, KINDS, VERSION, type CustomResource, type KindName } from './custom-resource.js';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Writes a CR's status through the status subresource. The patch carries the resourceVersion it was computed
 * from, so a concurrent writer makes it fail with 409; then the CR is read again and `compute` runs on the
 * fresh copy, up to five times. `compute` returns undefined when nothing needs writing.
 */
export async function writeStatus<Spec, Status>(
  api: CustomObjectsApi,
  kind: KindName,
  current: CustomResource<Spec, Status>,
  compute: (cr: CustomResource<Spec, Status>) => Status | undefined,
): Promise<CustomResource<Spec, Status>> {
  let cr = current;
  for (let attempt = 1; ; attempt++) {
    const status = compute(cr);
    if (status === undefined) return cr;
    const { namespace, name, resourceVersion } = cr.metadata;
    try {
      return (await api.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace, plural: KINDS[kind].plural, name, body: { metadata: { resourceVersion }, status } },
        MERGE_PATCH,
      )) as CustomResource<Spec, Status>;
    } catch (err) {
      if (httpStatus(err) !== 409 || attempt >= 5) throw err;
      cr = (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: KINDS[kind].plural, name })) as CustomResource<Spec, Status>;
    }
  }
}
