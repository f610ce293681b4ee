import type { CustomObjectsApi } from '@kubernetes/client-node';
import { httpStatus } from './api-errors.js';
import { GROUP, KINDS, VERSION, type CustomResource, type KindName } from './custom-resource.js';
import { FIELD_MANAGER } from './ownership.js';

/**
 * Writes a CR's status through the status subresource, replacing it whole (a merge patch would keep the fields a new
 * run no longer has, such as the last run's completionTime). The PUT carries the resourceVersion the status was
 * computed from, so a concurrent writer makes it fail with 409; then the CR is read again and `compute` runs on the
 * fresh copy, up to five times. `compute` returns undefined when nothing needs writing. The API server takes only the
 * status from a PUT to /status, so the body carries nothing else.
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
    const { plural } = KINDS[kind];
    try {
      return (await api.replaceNamespacedCustomObjectStatus({
        group: GROUP, version: VERSION, namespace, plural, name, fieldManager: FIELD_MANAGER,
        body: { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name, namespace, resourceVersion }, status },
      })) as CustomResource<Spec, Status>;
    } catch (err) {
      if (httpStatus(err) !== 409 || attempt >= 5) throw err;
      cr = (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name })) as CustomResource<Spec, Status>;
    }
  }
}
