import { importClaim, stressRunClaim } from '../../operator/budget/claims.js';
import type { Claim } from '../../operator/budget/grant-connections.js';
import { DEFAULT_HEADROOM } from '../../operator/budget/headroom.js';
import { budgetServer, describeWait, type ServerBudget } from '../../operator/budget/server-budget.js';
import type { ServerSnapshot } from '../../operator/budget/server-capacity.js';
import { LOCAL_NAMESPACE, type Scenario } from './scenario.js';

/** What one budget pass decided. */
export interface GrantDecision {
  budget: ServerBudget;
  /** Workers granted per StressRun name. */
  workers: Map<string, number>;
  /** Whether the import (once applied) is admitted. */
  importAdmitted: boolean;
  /** Why the import waits, with the numbers, as the operator's condition message says it. */
  importWait: string | undefined;
}

/**
 * The operator's ledger, run locally: the same claims (importClaim, stressRunClaim), the same capacity from a
 * pg_stat_activity snapshot, the default headroom, and grants that are held from one pass to the next as the
 * operator holds them in each CR's status. A StressRun gets as many workers as fit; the import waits until it fits.
 */
export class LocalGrants {
  private readonly created = new Map<string, string>();
  private readonly heldWorkers = new Map<string, number>();
  private importHeld = 0;

  constructor(private readonly scenario: Scenario) {}

  /** Marks a CR as applied now; its creation time orders it among equal priorities. */
  apply(kind: 'CsvImport' | 'StressRun', name: string, at = new Date()): void {
    if (!this.created.has(`${kind}/${name}`)) this.created.set(`${kind}/${name}`, at.toISOString());
  }

  /** Releases the import's grant once it has finished. */
  releaseImport(): void {
    const imp = this.scenario.imports[0];
    if (imp) this.created.delete(`CsvImport/${imp.name}`);
    this.importHeld = 0;
  }

  /** One budget pass over the applied CRs. */
  pass(snapshot: ServerSnapshot): GrantDecision {
    const claims: Claim[] = [];
    for (const run of this.scenario.stressRuns) {
      const createdAt = this.created.get(`StressRun/${run.name}`);
      if (createdAt === undefined) continue;
      claims.push(stressRunClaim({ namespace: LOCAL_NAMESPACE, name: run.name, createdAt }, run.validated, this.heldWorkers.get(run.name) ?? 0));
    }
    const imp = this.scenario.imports[0];
    const importCreated = imp ? this.created.get(`CsvImport/${imp.name}`) : undefined;
    if (imp && importCreated !== undefined) {
      claims.push(importClaim({ namespace: LOCAL_NAMESPACE, name: imp.name, createdAt: importCreated }, imp.validated, this.importHeld));
    }
    const budget = budgetServer(snapshot, DEFAULT_HEADROOM, claims);
    const workers = new Map<string, number>();
    for (const run of this.scenario.stressRuns) {
      const units = budget.ledger.units.get(`StressRun/${LOCAL_NAMESPACE}/${run.name}`) ?? 0;
      workers.set(run.name, units);
      this.heldWorkers.set(run.name, units);
    }
    const importKey = imp ? `CsvImport/${LOCAL_NAMESPACE}/${imp.name}` : '';
    const importAdmitted = importCreated !== undefined && (budget.ledger.units.get(importKey) ?? 0) >= 1;
    if (importAdmitted && imp) this.importHeld = imp.validated.connections;
    return { budget, workers, importAdmitted, importWait: importCreated === undefined ? undefined : describeWait(budget, importKey) };
  }
}
