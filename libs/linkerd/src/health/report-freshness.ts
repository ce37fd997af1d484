// When a cluster's last report still speaks for it. One rule for every reader (the health view,
// the fleet summary, the rollout health gate, deriveHealth): stale data is never shown as healthy.

/** A report is current for this many report intervals; after that it is stale. */
export const REPORT_INTERVALS_UNTIL_STALE = 3;

export interface ReportFreshness {
  now: Date;
  /** Reports older than this are stale. */
  maxAgeSeconds: number;
}

/** The freshness rule for agents told to report every `reportIntervalSeconds`. */
export function reportFreshness(reportIntervalSeconds: number, now = new Date()): ReportFreshness {
  return { now, maxAgeSeconds: reportIntervalSeconds * REPORT_INTERVALS_UNTIL_STALE };
}

/** Reports generated at or after this instant are fresh (for queries that filter in SQL). */
export function freshSince(f: ReportFreshness): Date {
  return new Date(f.now.getTime() - f.maxAgeSeconds * 1000);
}

/** Whether a report generated at `generatedAt` is still current. A missing report is not. */
export function isReportFresh(generatedAt: Date | string | null | undefined, f: ReportFreshness): boolean {
  if (generatedAt === null || generatedAt === undefined) return false;
  const at = typeof generatedAt === 'string' ? Date.parse(generatedAt) : generatedAt.getTime();
  return Number.isFinite(at) && at >= freshSince(f).getTime();
}
