import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * Whether a column type has an equality operator, which IS DISTINCT FROM needs (json, point and xml have none;
 * those are compared as text). The type name comes from format_type() in the catalog, never from the spec.
 */
export function comparableType(typeName: string): SqlQuery {
  return { text: `SELECT NULL::${typeName} IS DISTINCT FROM NULL::${typeName}`, values: [] };
}
