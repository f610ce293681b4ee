/** A query as the SQL modules build it: text with $n parameters, its values, and a prepared-statement name. */
export interface SqlQuery {
  text: string;
  values: unknown[];
  /** Set for statements run many times on one connection, so PostgreSQL plans them once. */
  name?: string;
}
