// The checks of a RECONCILE_DRIFT request against the cluster's latest report, before anything
// is written: Linkerd must be installed, the agent must have checked drift (it holds the applied
// objects), and something must have drifted.
import type { HealthReport } from '@meshfleet/agent-protocol';
import { FailedPreconditionError } from '@meshfleet/core';

export function assertReconcilable(clusterName: string, report: HealthReport | null): void {
  if (!report?.linkerd?.installed)
    throw new FailedPreconditionError(
      `Linkerd is not installed on ${clusterName}: there is nothing to reconcile`,
      {
        reason: 'NOT_INSTALLED',
      },
    );
  const drift = report.drift ?? null;
  if (!drift)
    throw new FailedPreconditionError(
      `The agent of ${clusterName} has not checked drift: it holds no release Meshfleet applied (an older agent, or Linkerd installed without Meshfleet)`,
      { reason: 'DRIFT_NOT_CHECKED' },
    );
  if (drift.total === 0)
    throw new FailedPreconditionError(
      `${clusterName} has no drift (checked ${drift.checkedAt}): nothing to reconcile`,
      { reason: 'NO_DRIFT' },
    );
}
