// Keeps a report under the contract's byte limit (MAX_BODY_BYTES.report). Huge clusters would
// otherwise be refused with 413 and the API would hear nothing at all; instead the agent drops
// detail in order of least value (adoption facts per workload, per-workload rows, pod name lists, then whole namespaces
// with the fewest pods) and says so with the *Truncated flags. Totals are never changed.
import { jsonByteLength, MAX_BODY_BYTES, type HealthReport } from '@meshfleet/agent-protocol';

export function fitReport(report: HealthReport, limit: number = MAX_BODY_BYTES.report): HealthReport {
  const fits = (r: HealthReport) => jsonByteLength(r) <= limit;
  if (fits(report)) return report;

  // Adoption facts go first: a plan can wait for a smaller cluster view, the mTLS picture cannot.
  let r: HealthReport = report.adoption
    ? {
        ...report,
        adoption: {
          ...report.adoption,
          namespaces: report.adoption.namespaces.map((n) => ({
            ...n,
            workloads: [],
            workloadsTruncated: n.workloadsTruncated || n.workloads.length > 0,
          })),
        },
      }
    : report;
  if (fits(r)) return r;

  // Work on copies: the input may share arrays with the caller.
  r = {
    ...r,
    mtls: {
      ...report.mtls,
      namespaces: report.mtls.namespaces.map((n) => ({
        ...n,
        staleTrustBundlePodNames: [],
        workloads: n.workloads.map((w) => ({
          ...w,
          pods: [],
          podsTruncated: w.podsTruncated || w.pods.length > 0,
        })),
      })),
      scrapeErrors: report.mtls.scrapeErrors.slice(0, 5),
    },
  };
  if (fits(r)) return r;

  r = {
    ...r,
    mtls: {
      ...r.mtls,
      namespaces: r.mtls.namespaces.map((n) => ({
        ...n,
        workloads: [],
        workloadsTruncated: n.workloadsTruncated || n.workloads.length > 0,
      })),
    },
  };
  if (fits(r)) return r;

  // Keep the namespaces with the most pods; binary search the largest count that fits.
  const byPods = [...r.mtls.namespaces].sort(
    (a, b) => b.totalPods - a.totalPods || a.name.localeCompare(b.name),
  );
  const withNamespaces = (n: number): HealthReport => ({
    ...r,
    mtls: {
      ...r.mtls,
      namespaces: byPods.slice(0, n).sort((a, b) => a.name.localeCompare(b.name)),
      namespacesTruncated: r.mtls.namespacesTruncated || n < byPods.length,
    },
  });
  let lo = 0;
  let hi = byPods.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(withNamespaces(mid))) lo = mid;
    else hi = mid - 1;
  }
  r = withNamespaces(lo);
  if (fits(r)) return r;

  // Last resort: shorten check error texts (the categories and results themselves stay).
  return {
    ...r,
    checks: {
      ...r.checks,
      categories: r.checks.categories.map((c) => ({
        ...c,
        checks: c.checks.map((x) => (x.error ? { ...x, error: x.error.slice(0, 200) } : x)),
      })),
    },
  };
}
