import type { SqlQuery } from '../../shared/sql-query.js';

/**
 * pg_temp.bulkhead_input_error(value, type oid, typmod): NULL when the text is valid input for the type (with its
 * modifier, so varchar(3) refuses 'abcd'), otherwise PostgreSQL's own message.
 *
 * PostgreSQL 16+ checks with pg_input_is_valid(), which needs no subtransaction per value. PostgreSQL 15 lacks it,
 * so there the type's input function is called inside an exception block: correct, but a subtransaction per value,
 * roughly 10x slower on a large file.
 */
export function inputErrorFunction(serverVersionNum: number): SqlQuery {
  const body = serverVersionNum >= 160000
    ? `LANGUAGE sql STABLE AS $$
         SELECT CASE WHEN pg_input_is_valid(value, format_type(typ, typmod)) THEN NULL
                     ELSE (pg_input_error_info(value, format_type(typ, typmod))).message END $$`
    : `LANGUAGE plpgsql STABLE AS $$
         DECLARE fn regproc; ioparam oid; nargs int;
         BEGIN
           SELECT t.typinput, CASE WHEN t.typelem <> 0 THEN t.typelem ELSE t.oid END, p.pronargs INTO fn, ioparam, nargs
             FROM pg_type t JOIN pg_proc p ON p.oid = t.typinput WHERE t.oid = typ;
           -- Input functions take (cstring), (cstring, ioparam) or (cstring, ioparam, typmod).
           IF nargs = 1 THEN
             EXECUTE format('SELECT %s($1::cstring)', fn) USING value;
           ELSIF nargs = 2 THEN
             EXECUTE format('SELECT %s($1::cstring, $2)', fn) USING value, ioparam;
           ELSE
             EXECUTE format('SELECT %s($1::cstring, $2, $3)', fn) USING value, ioparam, typmod;
           END IF;
           RETURN NULL;
         EXCEPTION WHEN others THEN RETURN SQLERRM;
         END $$`;
  return {
    text: `CREATE OR REPLACE FUNCTION pg_temp.bulkhead_input_error(value text, typ oid, typmod int) RETURNS text ${body}`,
    values: [],
  };
}
