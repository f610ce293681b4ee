import type { V1Pod } from '@kubernetes/client-node';
import type { ImportSummary } from '../../runners/import/summary.js';

/** What a finished import pod left behind: its summary line if it wrote one, its exit code, and its message. */
export interface PodOutcome {
  exitCode: number;
  summary: ImportSummary | undefined;
  /** The termination message when it is not a summary (the log tail of a crash). */
  message: string;
}

/** Reads the outcome of the latest terminated import container among a Job's pods, newest first. */
export function latestPodOutcome(pods: readonly V1Pod[]): PodOutcome | undefined {
  const finished = pods
    .map((pod) => pod.status?.containerStatuses?.[0]?.state?.terminated)
    .filter((t): t is NonNullable<typeof t> => t !== undefined)
    .sort((a, b) => new Date(b.finishedAt ?? 0).getTime() - new Date(a.finishedAt ?? 0).getTime());
  const latest = finished[0];
  if (!latest) return undefined;
  const text = (latest.message ?? '').trim();
  return { exitCode: latest.exitCode, summary: parseSummary(text), message: text };
}

/** The summary JSON line, if the text is (or ends with) one. */
export function parseSummary(text: string): ImportSummary | undefined {
  const last = text.split('\n').filter((l) => l.trim() !== '').at(-1);
  if (!last?.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(last) as Partial<ImportSummary>;
    return parsed.event === 'summary' ? (parsed as ImportSummary) : undefined;
  } catch {
    return undefined;
  }
}
