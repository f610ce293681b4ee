import { clipText } from '../../runners/shared/source-text.js';
import { describeApiError, httpStatus } from '../kube/api-errors.js';

/**
 * The InvalidSpec message when the API server refused a runner Job or Deployment as invalid (422), or undefined for
 * any other error. The CRD's schema leaves some checks to the API server (a request above its limit, the affinity
 * terms), so its refusal names the field; the message is cut, since it may quote the CR's values.
 */
export function refusedChildMessage(err: unknown, child: string): string | undefined {
  if (httpStatus(err) !== 422) return undefined;
  return `spec.runner: the API server refused ${child}: ${clipText(describeApiError(err), 1024)} (spec.runner and the operator's runner pod defaults shape the pod)`;
}
