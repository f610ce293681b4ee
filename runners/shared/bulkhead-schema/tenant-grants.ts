import { ident } from '../ident.js';

/** Privileges on one of bulkhead's objects that a run needs. */
interface Grant {
  kind: 'SCHEMA' | 'TABLE' | 'FUNCTION';
  /** The object as written in SQL: fixed names, never user input. */
  object: string;
  privileges: readonly string[];
}

/**
 * What a role needs that does not own schema bulkhead: to look it up and create its staging tables there, to read
 * the schema's version, and to write its own rejects and progress (row-level security keeps them its own). The
 * owner holds all of this already. A migration that adds a table a run uses adds a line here.
 */
const TENANT_GRANTS: readonly Grant[] = [
  { kind: 'SCHEMA', object: 'bulkhead', privileges: ['USAGE', 'CREATE'] },
  { kind: 'TABLE', object: 'bulkhead.schema_migrations', privileges: ['SELECT'] },
  { kind: 'TABLE', object: 'bulkhead.import_rejects', privileges: ['SELECT', 'INSERT', 'DELETE'] },
  { kind: 'TABLE', object: 'bulkhead.import_progress', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
  // Merge pacing: a paced import reads the workers' latency and its live control; workers publish their latency.
  // The operator writes an import's live control with the import's own Secret, and deletes it with the CsvImport.
  { kind: 'TABLE', object: 'bulkhead.import_control', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
  { kind: 'TABLE', object: 'bulkhead.worker_signals', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
  { kind: 'FUNCTION', object: 'bulkhead.worker_latency(real)', privileges: ['EXECUTE'] },
];

/** The statements that give a role what a run needs, for a message to an administrator. */
export function tenantGrantStatements(role: string): string {
  return TENANT_GRANTS.map((g) => `GRANT ${g.privileges.join(', ')} ON ${g.kind} ${g.object} TO ${ident(role)};`).join(' ');
}

/**
 * A boolean SQL expression: whether the current role holds every privilege above. One call per privilege, since
 * has_table_privilege('…', 'SELECT, INSERT') is true when either one is held.
 */
export function tenantGrantsHeld(): string {
  return TENANT_GRANTS.flatMap((g) => g.privileges.map((p) =>
    `has_${g.kind.toLowerCase()}_privilege('${g.object}', '${p}')`)).join(' AND ');
}
