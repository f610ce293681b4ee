/** The label value every application_name that is not bulkhead's own is folded into. */
export const OTHER_APPLICATION = 'other';

/**
 * bulkhead's own application_name (runners/shared/connection.ts): bulkhead/<role>/<namespace>/<name>, cut to
 * PostgreSQL's 63 bytes, with Kubernetes names (lower-case letters, digits, '-' and '.'). Anything else is
 * whatever a client chose, an e-mail address or a request id as often as not, and never becomes a label value.
 */
const OWN_APPLICATION = /^bulkhead\/(import|worker|operator)\/[a-z0-9][-a-z0-9]*\/[a-z0-9][-.a-z0-9]*$/;

/**
 * The label value for an application_name: bulkhead's own as it is, every other one `other`. Any client may call
 * itself bulkhead/worker/x/<random>, so the operator also passes `known`, which holds only the names of its CRs'
 * runners and of itself: then the label set is bounded by the CRs, not by the clients.
 */
export function applicationLabel(applicationName: string, known: (name: string) => boolean = () => true): string {
  return OWN_APPLICATION.test(applicationName) && known(applicationName) ? applicationName : OTHER_APPLICATION;
}

/** Counts per application_name, summed per label value: bulkhead's own, and `other` for the rest. */
export function foldApplications(counts: Record<string, number>, known?: (name: string) => boolean): Record<string, number> {
  const folded: Record<string, number> = {};
  for (const [application, n] of Object.entries(counts)) {
    const label = applicationLabel(application, known);
    folded[label] = (folded[label] ?? 0) + n;
  }
  return folded;
}
