import type { SqlQuery } from '../../shared/sql-query.js';

/** PostgreSQL 16 added pg_input_is_valid() and pg_input_error_info(). */
export const BUILTIN_INPUT_CHECK_VERSION = 160000;

/**
 * For PostgreSQL 15 only: pg_temp.bulkhead_input_error(value, type oid, typmod) returns NULL when the text is valid
 * input for the type (with its modifier, so varchar(3) refuses 'abcd'), otherwise PostgreSQL's own message.
 * It calls the type's input function inside an exception block: correct, but a subtransaction per value, so
 * checking is roughly 10x slower there than with 16's pg_input_is_valid().
 */
export function inputErrorFunction(): SqlQuery {
  return {
    text: `CREATE OR REPLACE FUNCTION pg_temp.bulkhead_input_error(value text, typ oid, typmod int) RETURNS text
      LANGUAGE plpgsql STABLE AS $$
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
        END $$`,
    values: [],
  };
}
