import type { StressRunSpec } from '../shared/generated/stressrun.js';
import type { ConnectionSettings } from '../shared/connection.js';

/** Everything `bulkhead worker` and `bulkhead queue init` need, built once at start-up. */
export interface WorkerConfig {
  /** metadata.name of the StressRun. */
  name: string;
  /** metadata.namespace, or `local`. */
  namespace: string;
  /** The validated, defaulted spec. */
  spec: StressRunSpec;
  /** Who claims rows: the pod name, or host:pid. Written to locked_by. */
  workerId: string;
  connection: ConnectionSettings;
  /** Exit 0 once nothing is pending or in flight. */
  drain: boolean;
  /** Port for /metrics; undefined serves none. */
  metricsPort: number | undefined;
  /** How often a progress line goes to stderr. */
  progressIntervalMs: number;
  /** How long in-flight work may finish after SIGTERM before its rows are handed back. */
  graceMs: number;
  /** With --timings-file: append a JSON line per claim and completion statement here (see statement-timings.ts). */
  timingsFile: string | undefined;
}
