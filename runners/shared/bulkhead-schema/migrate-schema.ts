import { BulkheadError } from '../errors.js';
import type { Session } from '../session.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';
import { cannotCreateSchema, missingGrants, newerSchema, ownerMustMigrate } from './schema-refusals.js';
import { readSchemaVersion, type SchemaVersion } from './sql/read-schema-version.js';
import { readSchemaOwner, type SchemaOwner } from './sql/read-schema-owner.js';
import { lockSchema } from './sql/schema-lock.js';
import { createMigrationsTable, createSchema } from './sql/create-schema.js';
import { readAppliedVersion, recordMigration } from './sql/applied-version.js';

/**
 * Brings schema bulkhead to this runner's version, or refuses with exit 2 and a message that says what to do:
 * when the schema is newer than this runner, when this role lacks the privileges a run needs (the message has the
 * GRANTs), or when it is behind and this role may not migrate it. A current schema costs one SELECT.
 */
export async function migrateSchema(session: Session): Promise<void> {
  const seen = await readSchemaVersion(session);
  if (seen.state === 'present' && seen.version === LATEST_SCHEMA_VERSION && seen.granted) return;
  let owner: SchemaOwner | undefined;
  if (seen.state === 'missing' || (seen.state === 'present' && seen.version < LATEST_SCHEMA_VERSION)) {
    owner = await session.transaction(() => applyMigrations(session));
  }
  // Read again, outside the transaction: a run that could not migrate may find that its owner just did.
  const now = owner ? await readSchemaVersion(session) : seen;
  await refuseUnless(session, now, owner);
}

/** Throws the refusal that fits, unless the schema is current and this role holds what a run needs. */
async function refuseUnless(session: Session, seen: SchemaVersion, known: SchemaOwner | undefined): Promise<void> {
  if (seen.state === 'present' && seen.version > LATEST_SCHEMA_VERSION) throw newerSchema(seen.version, LATEST_SCHEMA_VERSION);
  const owner = known ?? await readSchemaOwner(session);
  if (seen.state === 'denied') throw missingGrants(owner.role, owner.owner);
  if (seen.state === 'present' && seen.version === LATEST_SCHEMA_VERSION) {
    if (!seen.granted) throw missingGrants(owner.role, owner.owner);
    return;
  }
  const version = seen.state === 'present' ? seen.version : 0;
  if (owner.owner !== undefined && !owner.owned) throw ownerMustMigrate(owner.role, owner.owner, version, LATEST_SCHEMA_VERSION);
  throw new Error(`schema bulkhead is at version ${version} after migrating to ${LATEST_SCHEMA_VERSION}`);
}

/**
 * Under the schema lock, in the caller's transaction: creates the schema if missing, then applies every missing
 * step in order. Concurrent first runs wait here; the first migrates, the rest find nothing to do. Only the
 * schema's owner migrates: it owns the tables (ALTER needs that), and a role that created a shared table would own
 * it, and could lift its row-level security. Returns who owns the schema, for the refusals.
 */
async function applyMigrations(session: Session): Promise<SchemaOwner> {
  await session.query(lockSchema());
  const owner = await readSchemaOwner(session);
  if (owner.owner === undefined) {
    if (!owner.canCreateSchema) throw cannotCreateSchema(owner.role);
    await session.query(createSchema());
  } else if (!owner.owned) {
    return owner;
  }
  await session.query(createMigrationsTable());
  const applied = await readAppliedVersion(session);
  for (const migration of MIGRATIONS.filter((m) => m.version > applied)) {
    await session.query(migration.sql).catch((cause: unknown) => {
      if (cause instanceof BulkheadError) throw cause; // a stop: keep its exit code
      throw new Error(`while migrating schema bulkhead to version ${migration.version} (${migration.name})`, { cause });
    });
    await recordMigration(session, migration);
  }
  return { ...owner, owner: owner.owner ?? owner.role, owned: true };
}
