// The rollout strategy as users give it, with defaults, validated once.
import { ValidationError } from '@meshfleet/core';

export interface RolloutStrategy {
  canary: { count: number; clusterIds: string[] };
  waves: { sizes: number[] | null; percentages: number[] | null };
  maxUnavailable: number;
  maxFailures: { count: number | null; percentage: number | null };
  healthGate: { durationSeconds: number; allowWarnings: boolean; maxCoverageDrop: number };
  betweenWaves: { requireApproval: boolean; delaySeconds: number };
  offlineClusters: { mode: 'SKIP' | 'WAIT'; waitSeconds: number };
  autoRollback: boolean;
  restartDataPlane: boolean;
}

export type StrategyInput = {
  canaryCount?: number | null;
  canaryClusterIds?: string[] | null;
  waveSizes?: number[] | null;
  wavePercentages?: number[] | null;
  maxUnavailable?: number | null;
  maxFailures?: number | null;
  maxFailurePercentage?: number | null;
  healthGateSeconds?: number | null;
  allowWarnings?: boolean | null;
  maxCoverageDrop?: number | null;
  requireApproval?: boolean | null;
  delayBetweenWavesSeconds?: number | null;
  offlineClusters?: 'SKIP' | 'WAIT' | null;
  offlineWaitSeconds?: number | null;
  autoRollback?: boolean | null;
  restartDataPlane?: boolean | null;
};

const int = (v: number | null | undefined, d: number, min: number, max: number, field: string): number => {
  const x = v ?? d;
  if (!Number.isInteger(x) || x < min || x > max)
    throw new ValidationError(`${field} must be an integer from ${min} to ${max}`, field);
  return x;
};

export function resolveStrategy(s: StrategyInput = {}): RolloutStrategy {
  if (s.waveSizes && s.wavePercentages)
    throw new ValidationError('Give waveSizes or wavePercentages, not both', 'waveSizes');
  for (const n of s.waveSizes ?? []) int(n, 1, 1, 100_000, 'waveSizes');
  const pct = s.wavePercentages ?? null;
  if (pct) {
    for (const p of pct) int(p, 1, 1, 100, 'wavePercentages');
    if (pct.reduce((a, b) => a + b, 0) > 100)
      throw new ValidationError('wavePercentages add up to more than 100', 'wavePercentages');
  }
  if (s.maxFailures != null && s.maxFailurePercentage != null)
    throw new ValidationError('Give maxFailures or maxFailurePercentage, not both', 'maxFailures');
  const drop = s.maxCoverageDrop ?? 0.05;
  if (!(drop >= 0 && drop <= 1))
    throw new ValidationError('maxCoverageDrop must be between 0 and 1', 'maxCoverageDrop');
  return {
    canary: {
      count: int(s.canaryCount, s.canaryClusterIds?.length ? 0 : 1, 0, 1000, 'canaryCount'),
      clusterIds: s.canaryClusterIds ?? [],
    },
    waves: { sizes: s.waveSizes ?? null, percentages: pct },
    maxUnavailable: int(s.maxUnavailable, 1, 1, 10_000, 'maxUnavailable'),
    maxFailures: {
      count: s.maxFailurePercentage != null ? null : int(s.maxFailures, 0, 0, 100_000, 'maxFailures'),
      percentage:
        s.maxFailurePercentage != null
          ? int(s.maxFailurePercentage, 0, 0, 100, 'maxFailurePercentage')
          : null,
    },
    healthGate: {
      durationSeconds: int(s.healthGateSeconds, 60, 0, 86_400, 'healthGateSeconds'),
      allowWarnings: s.allowWarnings ?? true,
      maxCoverageDrop: drop,
    },
    betweenWaves: {
      requireApproval: s.requireApproval ?? false,
      delaySeconds: int(s.delayBetweenWavesSeconds, 0, 0, 86_400, 'delayBetweenWavesSeconds'),
    },
    offlineClusters: {
      mode: s.offlineClusters ?? 'SKIP',
      waitSeconds: int(s.offlineWaitSeconds, 600, 0, 86_400, 'offlineWaitSeconds'),
    },
    autoRollback: s.autoRollback ?? false,
    restartDataPlane: s.restartDataPlane ?? false,
  };
}

/** The failure budget as a number of clusters for a rollout of `total` targets. */
export function failureBudget(s: RolloutStrategy, total: number): number {
  if (s.maxFailures.percentage !== null) return Math.floor((s.maxFailures.percentage / 100) * total);
  return s.maxFailures.count ?? 0;
}
