/** The sleeps waiting on each signal; one 'abort' listener per signal wakes them all. */
const sleepers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Waits ms, or until signal aborts, whichever comes first: true when the time passed, false when stopped.
 *
 * node:timers/promises' setTimeout adds an 'abort' listener to the signal for each call and removes it when the
 * timer ends. That is no leak, but a worker has a whole batch of rows sleeping on one stop signal at once (20 by
 * default, up to 10,000), and Node warns past 10 listeners on one EventTarget (MaxListenersExceededWarning) and
 * walks the whole list to remove each. Here all sleeps on a signal share one listener, and each takes its own
 * entry out of a Set when it ends.
 */
export function sleepUnlessStopped(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  const waiting = sleepersOn(signal);
  return new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(timer);
      waiting.delete(wake);
      resolve(false);
    };
    const timer = setTimeout(() => {
      waiting.delete(wake);
      resolve(true);
    }, ms);
    waiting.add(wake);
  });
}

/** How many sleeps are waiting on a signal right now (for tests). */
export function sleepersWaitingOn(signal: AbortSignal): number {
  return sleepers.get(signal)?.size ?? 0;
}

function sleepersOn(signal: AbortSignal): Set<() => void> {
  let waiting = sleepers.get(signal);
  if (!waiting) {
    const created = new Set<() => void>();
    signal.addEventListener('abort', () => [...created].forEach((wake) => wake()), { once: true });
    sleepers.set(signal, created);
    waiting = created;
  }
  return waiting;
}
