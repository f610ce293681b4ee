/**
 * The one place where SQL identifiers are quoted. Names come from CRs and CSV headers, so they are never pasted
 * into SQL: they are resolved against the catalog first, then quoted here.
 */
export function ident(name: string): string {
  if (name.length === 0 || name.includes('\0')) {
    throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** A schema-qualified, quoted table name. */
export function qualified(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}

/** A table reference as written in a spec: `table` or `schema.table`. */
export interface TableName {
  schema: string;
  table: string;
}

/** Splits `schema.table` (schema defaults to public). The parts are looked up in the catalog later, never trusted. */
export function parseTableName(name: string): TableName {
  const dot = name.indexOf('.');
  return dot < 0 ? { schema: 'public', table: name } : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

/**
 * A quoted string literal, for utility statements that take no parameters (COPY's options), index predicates, and
 * the worker's configuration constants that a cached plan must see (queueConstants). Everywhere else, values go in
 * as $n parameters.
 */
export function literal(value: string): string {
  if (value.includes('\0')) throw new Error('a SQL literal cannot contain a NUL byte');
  return `'${value.replaceAll("'", "''")}'`;
}

/** An integer written into SQL text, for the same few places as literal(); anything but a safe integer is refused. */
export function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return String(value);
}
