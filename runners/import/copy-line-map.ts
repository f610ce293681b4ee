/**
 * Maps the line numbers COPY reports (in its NOTICEs about skipped rows) back to lines of the source file.
 *
 * COPY counts one line per record it reads plus the line breaks it sees inside quoted fields, and it reads only the
 * records the runner sends: framing rejects and blank lines are not among them. Within a run of records the two
 * numberings differ by a constant, so only the points where that offset shifts are stored: a file of one-line
 * records stores one entry, however long it is.
 */
export class CopyLineMap {
  private copyLine = 0;
  private readonly at: number[] = [];
  private readonly offsets: number[] = [];

  /** Records the next record sent to COPY: the file line it starts on, and the line breaks COPY counts inside it. */
  add(fileLine: number, countedBreaks: number): void {
    this.copyLine += 1 + countedBreaks;
    const offset = fileLine - this.copyLine;
    if (this.offsets[this.offsets.length - 1] !== offset) {
      this.at.push(this.copyLine);
      this.offsets.push(offset);
    }
  }

  /** The file line where the record that COPY reports at copyLine starts; undefined before the first record. */
  fileLine(copyLine: number): number | undefined {
    let lo = 0;
    let hi = this.at.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.at[mid] as number) <= copyLine) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? undefined : copyLine + (this.offsets[found] as number);
  }
}
