import { InvalidInputError } from './errors.js';

/**
 * A numeric command-line flag, or undefined when it was not given. Range checks that the CRD schema also makes
 * are left to the schema, so both paths give the same message; this only refuses what is not a number at all.
 */
export function numberFlag(value: string | undefined, flag: string, rules: { integer?: boolean; positive?: boolean }): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (rules.integer && !Number.isInteger(n)) || (rules.positive && n <= 0)) {
    throw new InvalidInputError(`${flag}: expected a ${rules.positive ? 'positive ' : ''}${rules.integer ? 'whole ' : ''}number, got "${value}"`);
  }
  return n;
}
