import { InvalidInputError } from '../errors.js';
import { ident } from '../ident.js';
import { tenantGrantStatements } from './tenant-grants.js';

// Each refusal comes before anything is staged or merged, and retrying cannot help until someone acts: exit 2,
// so that the operator fails the Job at once (its podFailurePolicy) rather than retrying it.

/** An older runner against a newer schema: its SQL may no longer fit the tables. */
export function newerSchema(version: number, known: number): InvalidInputError {
  return new InvalidInputError(`schema bulkhead is at version ${version}, newer than this runner knows (${known}); ` +
    'run a bulkhead release at least as new as the one that migrated it. Nothing was staged or merged');
}

/** A role that lacks privileges on another role's schema: the statements its owner or a superuser must run. */
export function missingGrants(role: string, owner: string | undefined): InvalidInputError {
  const by = owner === undefined ? 'a superuser' : `its owner ${ident(owner)} or a superuser`;
  return new InvalidInputError(`role ${ident(role)} lacks privileges on schema bulkhead; nothing was staged or merged. ` +
    `Have ${by} run: ${tenantGrantStatements(role)}`);
}

/** No schema yet, and this role may not create one. */
export function cannotCreateSchema(role: string): InvalidInputError {
  return new InvalidInputError(`schema bulkhead does not exist and role ${ident(role)} may not create it; nothing was staged or merged. ` +
    `Have a superuser run: CREATE SCHEMA bulkhead AUTHORIZATION ${ident(role)};`);
}

/** A schema behind this runner that only its owner may migrate. */
export function ownerMustMigrate(role: string, owner: string, version: number, latest: number): InvalidInputError {
  return new InvalidInputError(`schema bulkhead is at version ${version} and this runner needs ${latest}; only its owner ` +
    `${ident(owner)} (or a superuser) may migrate it, not role ${ident(role)}: run one import as ${ident(owner)} first. Nothing was staged or merged`);
}
