import { applicationName } from '../../runners/shared/connection.js';
import type { CsvImportSpec } from '../../runners/shared/generated/csvimport.js';
import type { StressRunSpec } from '../../runners/shared/generated/stressrun.js';
import type { Claim } from './grant-connections.js';

/** Which CR a claim stands for. */
export interface ClaimOwner {
  namespace: string;
  name: string;
  /** RFC 3339 creation time. */
  createdAt: string;
}

/** A CsvImport claims spec.connections, all or nothing. `heldConnections` comes from status.grantedConnections. */
export function importClaim(owner: ClaimOwner, spec: Pick<CsvImportSpec, 'connections' | 'priority'>, heldConnections: number): Claim {
  return {
    key: `CsvImport/${owner.namespace}/${owner.name}`,
    priority: spec.priority,
    createdAt: owner.createdAt,
    connectionsPerUnit: spec.connections,
    units: 1,
    partial: false,
    held: heldConnections >= spec.connections ? 1 : 0,
    application: applicationName('import', owner.namespace, owner.name),
  };
}

/** A StressRun claims workers × connectionsPerWorker, and runs with as many whole workers as fit. */
export function stressRunClaim(owner: ClaimOwner, spec: Pick<StressRunSpec, 'workers' | 'connectionsPerWorker' | 'priority'>, heldWorkers: number): Claim {
  return {
    key: `StressRun/${owner.namespace}/${owner.name}`,
    priority: spec.priority,
    createdAt: owner.createdAt,
    connectionsPerUnit: spec.connectionsPerWorker,
    units: spec.workers,
    partial: true,
    held: heldWorkers,
    application: applicationName('worker', owner.namespace, owner.name),
  };
}

/** application_name → connections held, for telling granted sessions from external ones (serverCapacity). */
export function heldByApplication(claims: readonly Claim[]): Map<string, number> {
  const held = new Map<string, number>();
  for (const claim of claims) {
    held.set(claim.application, (held.get(claim.application) ?? 0) + Math.min(claim.held, claim.units) * claim.connectionsPerUnit);
  }
  return held;
}
