import { specSchema, type Schema } from '../../shared/spec-schema.js';

/** The CRD's schema of spec.merge.pacing: the import checks its live control against it, local mode its --pacing. */
export function pacingSchema(): Schema {
  const schema = specSchema('CsvImport').properties?.merge?.properties?.pacing;
  if (!schema) throw new Error('the CsvImport CRD has no spec.merge.pacing');
  return schema;
}
