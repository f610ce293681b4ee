import type { StatsVisibility } from './budget-accurate.js';
import { heldByApplication } from './claims.js';
import { grantConnections, type Claim, type Ledger } from './grant-connections.js';
import type { Headroom } from './headroom.js';
import { serverCapacity, type ServerCapacity, type ServerSnapshot } from './server-capacity.js';

/** One server's budget: its capacity and the grants made from it. */
export interface ServerBudget {
  capacity: ServerCapacity;
  ledger: Ledger;
  /** What the snapshot's role could see: BudgetAccurate, bulkhead_budget_accurate and `bulkhead budget` tell it. */
  visibility: StatsVisibility;
}

/** The whole budget pass for one server: capacity from a fresh snapshot, then the ledger over every claim on it. */
export function budgetServer(snapshot: ServerSnapshot, headroom: Headroom, claims: readonly Claim[]): ServerBudget {
  const capacity = serverCapacity(snapshot, headroom, heldByApplication(claims));
  return { capacity, ledger: grantConnections(capacity.capacity, claims), visibility: snapshot.visibility };
}

/** The message a waiting claim shows, with the numbers (Pending with BudgetAdmitted=False, reason InsufficientConnections). */
export function describeWait(budget: ServerBudget, key: string): string | undefined {
  const wait = budget.ledger.waiting.get(key);
  if (!wait) return undefined;
  const c = budget.capacity;
  const numbers = `max_connections ${c.maxConnections}, reserved ${c.reserved}, external ${c.external}, headroom ${c.headroom}, capacity ${c.capacity}, granted ${budget.ledger.granted}, free ${wait.free}`;
  return wait.neverFits
    ? `needs ${wait.wanted} more connections, more than this server's whole capacity (${numbers}); lower spec.connections or raise max_connections`
    : `waiting for ${wait.wanted} more connections (${numbers})`;
}
