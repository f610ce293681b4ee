import { InvalidInputError } from '../shared/errors.js';
import { clipText } from '../shared/source-text.js';
import type { CsvImportSpec } from '../shared/generated/csvimport.js';
import type { TargetColumn, TargetTable } from './target-table.js';

/** The transforms a spec may name; each is computed in SQL from one CSV column. */
export type TransformName = 'normalize' | 'lower' | 'upper' | 'trim' | 'nullIfEmpty';

/** One target column that the import writes, and where its value comes from. */
export interface PlannedColumn {
  target: TargetColumn;
  /** 0-based position of the source column in the CSV. */
  csvIndex: number;
  csvName: string;
  transform: TransformName | undefined;
  isKey: boolean;
}

/** What the import writes: resolved against the header and the catalog, before any data moves. */
export interface ImportPlan {
  table: TargetTable;
  columns: PlannedColumn[];
  /** Key columns, in the order of the unique index that backs them. */
  key: PlannedColumn[];
  /** The unique index that backs the key. */
  keyIndex: string;
}

/** Problems listed in the error; a header of 100,000 unknown columns is told by its first few and a count. */
const LISTED_PROBLEMS = 20;

/** Text types accept every value, so their staged values need no input check. */
const UNCHECKED_TYPES = new Set(['text', 'character varying']);

/** Whether a column's staged text needs an input check (cast, length) before the merge. */
export function needsTypeCheck(column: TargetColumn): boolean {
  return !UNCHECKED_TYPES.has(column.type);
}

/**
 * Resolves the spec's target against the CSV header and the table's catalog entry. Every problem is collected,
 * so one run tells the user what is wrong (the first LISTED_PROBLEMS, and how many more); any problem is bad input
 * (exit 2) and nothing is touched.
 */
export function planImport(target: CsvImportSpec['target'], header: string[], table: TargetTable | undefined, tableLabel: string, file: string): ImportPlan {
  if (!table) {
    throw new InvalidInputError(`spec.target.table: table ${tableLabel} does not exist (or is not a table)`);
  }
  const problems: string[] = [];
  let unlisted = 0;
  const problem = (text: string): void => {
    if (problems.length < LISTED_PROBLEMS) problems.push(text);
    else unlisted++;
  };
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const headerIndex = new Map(header.map((h, i) => [h, i]));
  const sources: { target: string; csvName: string; transform: TransformName | undefined; field: string }[] = [];

  if (target.columns) {
    for (const [col, csvName] of Object.entries(target.columns)) {
      if (csvName === undefined) continue;
      sources.push({ target: col, csvName, transform: undefined, field: `spec.target.columns.${col}` });
    }
  } else {
    const transformed = new Set(Object.keys(target.transforms ?? {}));
    for (const h of header) {
      if (!transformed.has(h)) sources.push({ target: h, csvName: h, transform: undefined, field: `${file}:1 header column "${clipText(h)}"` });
    }
  }
  for (const [col, spec] of Object.entries(target.transforms ?? {})) {
    const [name, csvName] = Object.entries(spec ?? {})[0] as [TransformName, string];
    sources.push({ target: col, csvName, transform: name, field: `spec.target.transforms.${col}.${name}` });
  }

  const columns: PlannedColumn[] = [];
  const seen = new Set<string>();
  for (const s of sources) {
    const col = byName.get(s.target);
    const csvIndex = headerIndex.get(s.csvName);
    if (!col) problem(`${s.field}: column "${clipText(s.target)}" does not exist in ${tableLabel}`);
    else if (col.generated) problem(`${s.field}: column "${clipText(s.target)}" of ${tableLabel} is generated and cannot be written`);
    if (csvIndex === undefined) problem(`${s.field}: CSV column "${clipText(s.csvName)}" is not in the header of ${file}`);
    if (seen.has(s.target)) problem(`${s.field}: column "${clipText(s.target)}" is written twice`);
    seen.add(s.target);
    if (col && !col.generated && csvIndex !== undefined) {
      columns.push({ target: col, csvIndex, csvName: s.csvName, transform: s.transform, isKey: target.key.includes(s.target) });
    }
  }

  for (const k of target.key) {
    if (!byName.has(k)) problem(`spec.target.key: column "${k}" does not exist in ${tableLabel}`);
    else if (!seen.has(k)) problem(`spec.target.key: key column "${k}" is not loaded from ${file}; add it to the CSV or to spec.target.columns`);
  }
  const keySet = new Set(target.key);
  const keyIndex = table.uniqueIndexes.find((i) => i.columns.length === keySet.size && i.columns.every((c) => keySet.has(c)));
  if (!keyIndex && target.key.every((k) => byName.has(k))) {
    problem(`spec.target.key: (${target.key.join(', ')}) is not backed by a primary key or unique index of ${tableLabel}; ON CONFLICT needs one`);
  }
  for (const c of table.columns) {
    if (c.notNull && !c.hasDefault && !c.generated && !seen.has(c.name)) {
      problem(`spec.target: column "${c.name}" of ${tableLabel} is NOT NULL without a default, and the import does not load it`);
    }
  }
  if (problems.length > 0 || !keyIndex) {
    const more = unlisted > 0 ? `\n  … and ${unlisted} more problems` : '';
    throw new InvalidInputError(`cannot import ${file} into ${tableLabel}:\n  ${problems.join('\n  ')}${more}`);
  }
  const key = keyIndex.columns.map((k) => columns.find((c) => c.target.name === k) as PlannedColumn);
  return { table, columns, key, keyIndex: keyIndex.name };
}
