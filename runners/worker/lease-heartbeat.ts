/** A running heartbeat; stop() ends it and resolves once no renewal is in flight any more. */
export interface Heartbeat {
  stop: () => Promise<void>;
}

/** How often a batch's lease is renewed: three times per lease, so two missed beats still leave it held. */
export function heartbeatEveryMs(leaseSeconds: number): number {
  return Math.max(100, Math.min(30_000, (leaseSeconds * 1000) / 3));
}

/**
 * Calls renew every everyMs while a batch is in flight, like pg-boss's heartbeat. Renewals never overlap: a beat
 * due while the previous one still runs is skipped. Because stop() waits for the one in flight, the caller's next
 * statement on the same connection never runs alongside a renewal, so the heartbeat needs no connection of its own.
 */
export function startHeartbeat(everyMs: number, renew: () => Promise<void>): Heartbeat {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= renew().finally(() => (running = undefined));
  }, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
