import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from '../../runners/shared/logger.js';
import { GROUP, VERSION, type CustomResource } from './custom-resource.js';
import { describeApiError } from './api-errors.js';

/** Records Kubernetes Events on bulkhead's CRs; a failure to record is logged, never fatal. */
export class EventRecorder {
  constructor(private readonly core: CoreV1Api, private readonly component: string, private readonly log: Logger) {}

  /** One Event: type Normal or Warning, a CamelCase reason, a message for people. */
  async record(object: CustomResource<unknown, unknown>, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const { namespace, name, uid, resourceVersion } = object.metadata;
    const now = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: object.kind, namespace, name, uid, resourceVersion },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      this.log.warn({ event: 'event-failed', object: `${namespace}/${name}`, reason, err: describeApiError(err) }, 'could not record an Event');
    }
  }
}
