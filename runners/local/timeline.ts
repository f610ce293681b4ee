import type { Window } from './measurements.js';

/** The run's windows as they happen: each begin() ends the window before it. Times in epoch milliseconds. */
export class Timeline {
  private readonly closed: Window[] = [];
  private open: { name: string; start: number } | undefined;

  /** Starts a window named `name` at `at`, ending the current one there. */
  begin(name: string, at = Date.now()): void {
    this.end(at);
    this.open = { name, start: at };
  }

  /** Ends the current window at `at`. */
  end(at = Date.now()): void {
    if (this.open && at > this.open.start) this.closed.push({ ...this.open, end: at });
    this.open = undefined;
  }

  /** The name of the current window. */
  get current(): string | undefined {
    return this.open?.name;
  }

  /** The windows so far; the current one ends at `now`. */
  windows(now = Date.now()): Window[] {
    return this.open && now > this.open.start ? [...this.closed, { ...this.open, end: now }] : [...this.closed];
  }
}
