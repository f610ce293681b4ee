import type pg from 'pg';

/** A query as the SQL modules build it: text with $n parameters, its values, and a prepared-statement name. */
export interface SqlQuery {
  text: string;
  values: unknown[];
  /** Set for statements run many times on one connection, so PostgreSQL plans them once. */
  name?: string;
}

/** Anything that runs a SqlQuery: a pg client, or a wrapper that reconnects. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(q: SqlQuery): Promise<pg.QueryResult<R>>;
}
