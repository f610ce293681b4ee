/**
 * The connection ledger: given a server's capacity and every claim on it, how many units each claim is granted.
 * Pure, so the operator, `bulkhead local` and `bulkhead budget` share it and tests need no cluster.
 *
 * Rules (docs/architecture.md, "The connection budget"):
 * - Grants already held (recorded in each CR's status) are kept, so a running import is never cut off and a
 *   restarted operator rebuilds the same ledger. Only when held grants exceed the capacity (other load grew)
 *   are partial claims (StressRuns) cut back, lowest in the order first; an import keeps what it holds.
 * - New grants go in order of priority (higher first), then creation time (older first), then name.
 *   The order is strict: the first claim that cannot be met in full stops further grants, so a large
 *   import waiting for its turn is not starved by smaller claims behind it. A claim that could never fit,
 *   even on an idle server, is skipped instead of blocking everyone.
 * - An import is all or nothing; a StressRun takes as many whole workers as fit.
 */

/** One CR's claim on a server. A unit is the whole import, or one worker of a StressRun. */
export interface Claim {
  /** Unique per claim, e.g. "CsvImport/ns/name". */
  key: string;
  priority: number;
  /** RFC 3339 creation time; older claims go first among equal priorities. */
  createdAt: string;
  /** Connections per unit: spec.connections for an import, connectionsPerWorker for a StressRun. */
  connectionsPerUnit: number;
  /** Units wanted: 1 for an import, spec.workers for a StressRun. */
  units: number;
  /** True for a StressRun, which can run with fewer units than it wants. */
  partial: boolean;
  /** Units granted before, from the CR's status. */
  held: number;
  /** The application_name its runners' sessions carry, to tell its connections from external ones. */
  application: string;
}

/** The ledger after a pass: units per claim key and the connection totals. */
export interface Ledger {
  units: Map<string, number>;
  granted: number;
  free: number;
  /** Claims that wanted more than they got, with why. */
  waiting: Map<string, WaitReason>;
}

/** Why a claim got less than it wants. */
export interface WaitReason {
  /** Connections it still wants. */
  wanted: number;
  /** Connections that were free when its turn came. */
  free: number;
  /** True when the claim is bigger than the whole capacity and can never be met as it stands. */
  neverFits: boolean;
}

/** Claims in grant order: priority descending, then creation time, then key. */
export function grantOrder(claims: readonly Claim[]): Claim[] {
  return [...claims].sort((a, b) => b.priority - a.priority || a.createdAt.localeCompare(b.createdAt) || a.key.localeCompare(b.key));
}

/** Computes every claim's grant; the total never exceeds `capacity` unless imports already hold more. */
export function grantConnections(capacity: number, claims: readonly Claim[]): Ledger {
  const ordered = grantOrder(claims);
  const units = new Map<string, number>();
  let used = 0;
  for (const claim of ordered) {
    const kept = Math.min(claim.held, claim.units);
    units.set(claim.key, kept);
    used += kept * claim.connectionsPerUnit;
  }
  // Over capacity: take workers back from the last StressRuns in the order until the held grants fit.
  for (const claim of [...ordered].reverse()) {
    if (used <= capacity) break;
    if (!claim.partial) continue;
    const held = units.get(claim.key) ?? 0;
    const drop = Math.min(held, Math.ceil((used - capacity) / claim.connectionsPerUnit));
    units.set(claim.key, held - drop);
    used -= drop * claim.connectionsPerUnit;
  }
  const waiting = new Map<string, WaitReason>();
  let blocked = false;
  for (const claim of ordered) {
    const have = units.get(claim.key) ?? 0;
    const missing = claim.units - have;
    if (missing <= 0) continue;
    const free = Math.max(0, capacity - used);
    const neverFits = (claim.partial ? claim.connectionsPerUnit : claim.units * claim.connectionsPerUnit) > capacity;
    const fitting = blocked ? 0 : claim.partial ? Math.min(missing, Math.floor(free / claim.connectionsPerUnit)) : missing * claim.connectionsPerUnit <= free ? missing : 0;
    units.set(claim.key, have + fitting);
    used += fitting * claim.connectionsPerUnit;
    if (fitting < missing) {
      waiting.set(claim.key, { wanted: (missing - fitting) * claim.connectionsPerUnit, free: blocked ? 0 : Math.max(0, capacity - used), neverFits });
      if (!neverFits) blocked = true;
    }
  }
  return { units, granted: used, free: Math.max(0, capacity - used), waiting };
}
