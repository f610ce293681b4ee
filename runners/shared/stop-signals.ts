/** Turns SIGTERM and SIGINT into an AbortSignal for a clean shutdown; a second signal, or the deadline, exits hard. */
export interface StopHandle {
  signal: AbortSignal;
  /** Resolves once a stop was asked for; unlike an 'abort' listener added later, it also does when that was earlier. */
  stopped: Promise<void>;
  /** The signal that asked to stop, once one did. */
  received: () => NodeJS.Signals;
  dispose: () => void;
}

/**
 * Listens for SIGTERM and SIGINT. The first one aborts the returned signal; if shutdown has not finished within
 * hardDeadlineMs (or another signal arrives), the process exits at once with the signal's code.
 */
export function listenForStop(hardDeadlineMs: number): StopHandle {
  const controller = new AbortController();
  let received: NodeJS.Signals = 'SIGTERM';
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
    received = sig;
    controller.abort(new Error(`stopped by ${sig}`));
    setTimeout(() => process.exit(sig === 'SIGINT' ? 130 : 143), hardDeadlineMs).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const stopped = new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
  return {
    signal: controller.signal,
    stopped,
    received: () => received,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
