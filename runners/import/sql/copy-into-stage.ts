import { literal, qualified } from '../../shared/ident.js';
import { stageColumn } from './create-stage.js';
import type { CsvFormat } from '../import-config.js';

/**
 * COPY ... FROM STDIN for the staging table, with the file's own CSV dialect; COPY takes no parameters. With
 * skipBadRows (typed staging, PostgreSQL 17+), a row with a value its column's type cannot read is skipped and
 * named in a NOTICE (see copy-skips.ts) instead of failing the COPY.
 */
export function copyIntoStage(schema: string, table: string, csvColumns: number, format: CsvFormat, skipBadRows: boolean): string {
  const cols = ['_line', ...Array.from({ length: csvColumns }, (_, i) => stageColumn(i))].join(', ');
  return `COPY ${qualified(schema, table)} (${cols}) FROM STDIN WITH (FORMAT csv, DELIMITER ${literal(format.delimiter)}, ` +
    `QUOTE ${literal(format.quote)}, ESCAPE ${literal(format.quote)}, NULL ${literal(format.nullString)}, ENCODING ${literal(format.encoding)}` +
    `${skipBadRows ? ', ON_ERROR ignore, LOG_VERBOSITY verbose' : ''})`;
}
