import { literal, qualified } from '../../shared/ident.js';
import { stageColumn } from './create-stage.js';
import type { CsvFormat } from '../import-config.js';

/** COPY ... FROM STDIN for the staging table, with the file's own CSV dialect; COPY takes no parameters. */
export function copyIntoStage(schema: string, table: string, csvColumns: number, format: CsvFormat): string {
  const cols = ['_line', ...Array.from({ length: csvColumns }, (_, i) => stageColumn(i))].join(', ');
  return `COPY ${qualified(schema, table)} (${cols}) FROM STDIN WITH (FORMAT csv, DELIMITER ${literal(format.delimiter)}, ` +
    `QUOTE ${literal(format.quote)}, ESCAPE ${literal(format.quote)}, NULL ${literal(format.nullString)}, ENCODING ${literal(format.encoding)})`;
}
