import type { Queryable } from '../../sql-query.js';

/** Who owns schema bulkhead, and what the current role may do about it: from the catalogs, which anyone may read. */
export interface SchemaOwner {
  /** The current role. */
  role: string;
  /** The schema's owner; undefined when there is no schema yet. */
  owner: string | undefined;
  /** Whether the current role has its owner's privileges (it is the owner, a member of it, or a superuser). */
  owned: boolean;
  /** Whether the current role may create a schema in this database. */
  canCreateSchema: boolean;
}

/** Reads the owner of schema bulkhead; never fails for lack of privileges. */
export async function readSchemaOwner(db: Queryable): Promise<SchemaOwner> {
  const { rows } = await db.query<{ role: string; owner: string | null; owned: boolean | null; can_create: boolean }>({
    text: `SELECT current_user AS role, pg_get_userbyid(n.nspowner) AS owner, pg_has_role(n.nspowner, 'USAGE') AS owned,
                  has_database_privilege(current_database(), 'CREATE') AS can_create
             FROM (VALUES (1)) AS one LEFT JOIN pg_namespace n ON n.nspname = 'bulkhead'`,
    values: [],
  });
  const row = rows[0];
  if (!row) throw new Error('reading the owner of schema bulkhead returned no row');
  return { role: row.role, owner: row.owner ?? undefined, owned: row.owned === true, canCreateSchema: row.can_create };
}
