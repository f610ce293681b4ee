/** A count with its noun, singular for exactly one: `1 bad row`, `2 bad rows`, `1 index`, `3 indexes`. */
export function countNoun(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
