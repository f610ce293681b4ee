import type { Claim } from './grant-connections.js';
import type { Headroom } from './headroom.js';
import { budgetServer, type ServerBudget } from './server-budget.js';
import type { ServerSnapshot } from './server-capacity.js';

/** Snapshots no older than this are reused, so a burst of CRs costs one pg_stat_activity read. */
const SNAPSHOT_MAX_AGE_MS = 1000;

/**
 * The operator's ledger across servers. Grants live in memory while this replica leads and are written to
 * each CR's status by its reconcile; a new leader seeds them from status (seed()), so grants survive restarts.
 * decide() is atomic with respect to other decisions: the only await is the snapshot read, after which the
 * ledger is computed and recorded synchronously, so twenty CRs arriving at once see each other's grants.
 */
export class BudgetRegistry {
  private readonly grants = new Map<string, { server: string; units: number }>();
  private readonly snapshots = new Map<string, { at: number; snapshot: Promise<ServerSnapshot> }>();
  private readonly budgets = new Map<string, ServerBudget>();

  constructor(private readonly headroom: Headroom, private readonly readSnapshot: (server: string) => Promise<ServerSnapshot>) {}

  /** Records a grant found in a CR's status, unless this replica already knows better. */
  seed(key: string, server: string, units: number): void {
    if (!this.grants.has(key)) this.grants.set(key, { server, units });
  }

  /** Units currently granted to a claim (0 when none). */
  held(key: string): number {
    return this.grants.get(key)?.units ?? 0;
  }

  /** Drops a claim's grant: its run finished or its CR is gone. */
  release(key: string): void {
    this.grants.delete(key);
  }

  /** The last budget computed for a server, for metrics and `bulkhead budget`. */
  lastBudget(server: string): ServerBudget | undefined {
    return this.budgets.get(server);
  }

  /** Forgets a server no CR names any more: its last budget and snapshot. */
  forget(server: string): void {
    this.budgets.delete(server);
    this.snapshots.delete(server);
  }

  /** Every server with a budget so far. */
  servers(): string[] {
    return [...this.budgets.keys()];
  }

  /**
   * Runs the ledger for one server over all its active claims (their `held` is replaced by this registry's
   * record) and records the result. Returns the budget and the keys whose grant changed.
   */
  async decide(server: string, claims: readonly Claim[]): Promise<{ budget: ServerBudget; changed: string[] }> {
    const snapshot = await this.snapshot(server);
    const withHeld = claims.map((c) => ({ ...c, held: this.grants.has(c.key) ? this.held(c.key) : c.held }));
    const budget = budgetServer(snapshot, this.headroom, withHeld);
    const changed: string[] = [];
    for (const claim of withHeld) {
      const units = budget.ledger.units.get(claim.key) ?? 0;
      if (units !== this.held(claim.key) || !this.grants.has(claim.key)) changed.push(claim.key);
      this.grants.set(claim.key, { server, units });
    }
    this.budgets.set(server, budget);
    return { budget, changed };
  }

  private snapshot(server: string): Promise<ServerSnapshot> {
    const cached = this.snapshots.get(server);
    if (cached && Date.now() - cached.at < SNAPSHOT_MAX_AGE_MS) return cached.snapshot;
    const snapshot = this.readSnapshot(server);
    this.snapshots.set(server, { at: Date.now(), snapshot });
    snapshot.catch(() => this.snapshots.delete(server));
    return snapshot;
  }
}
