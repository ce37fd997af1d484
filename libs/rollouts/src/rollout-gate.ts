// The health gate a cluster must hold after its upgrade, as pure functions of what was read.
import { isReportFresh, ReportFreshness } from '@meshfleet/linkerd';
import type { RolloutStrategy } from './rollout-strategy';

/** After the gate ends, how long we wait for a fresh report of the new version before failing. */
export const REPORT_GRACE_MS = 5 * 60_000;
/** While a passed gate waits for the new version's report, how soon to look again. */
export const REPORT_RECHECK_MS = 500;

/** What the health gate reads about a cluster: its status and latest report. */
export interface GateFact {
  id: string;
  status: string;
  health: string | null;
  generatedAt: Date | null;
  podCoverage: number | null;
  version: string | null;
}

export interface GateInput {
  /** The gating target: when its gate ends, and its pod coverage before the upgrade. */
  gateUntil: Date;
  baselinePodCoverage: number | null;
  /** The cluster's latest facts; undefined when the cluster is gone. */
  fact: GateFact | undefined;
  /** When the upgrade's last step ran (epoch ms, the agent's clock); 0 when unknown. */
  upgradedAt: number;
  /** The version the fresh report must show; null (mesh adoption): any version. */
  targetVersion: string | null;
  gate: RolloutStrategy['healthGate'];
  freshness: ReportFreshness;
}

export type GateVerdict = { outcome: 'pass' } | { outcome: 'wait' } | { outcome: 'fail'; reason: string };

/**
 * Judges one gating target. Only a fresh report the agent made after the upgrade's last step
 * counts (same clock): one from mid-upgrade already shows the new version while the control
 * plane still rolls. A bad fresh report fails at once; a good one passes once the gate's time is
 * up; without one, the target fails REPORT_GRACE_MS after the gate's end.
 */
export function evaluateGate(i: GateInput): GateVerdict {
  const f = i.fact;
  const now = i.freshness.now;
  const fresh =
    f !== undefined &&
    f.status === 'CONNECTED' &&
    f.generatedAt !== null &&
    f.generatedAt.getTime() >= i.upgradedAt &&
    isReportFresh(f.generatedAt, i.freshness) &&
    (i.targetVersion === null || f.version === i.targetVersion);
  if (fresh && (f.health === 'UNHEALTHY' || (!i.gate.allowWarnings && f.health === 'DEGRADED')))
    return { outcome: 'fail', reason: `health gate: cluster is ${f.health}` };
  const drop =
    fresh && i.baselinePodCoverage !== null && f.podCoverage !== null
      ? i.baselinePodCoverage - f.podCoverage
      : 0;
  if (drop > i.gate.maxCoverageDrop)
    return {
      outcome: 'fail',
      reason: `health gate: pod mTLS coverage dropped by ${(drop * 100).toFixed(1)} points`,
    };
  if (fresh && now >= i.gateUntil) return { outcome: 'pass' };
  if (now.getTime() > i.gateUntil.getTime() + REPORT_GRACE_MS)
    return { outcome: 'fail', reason: 'health gate: no fresh report of the new version' };
  return { outcome: 'wait' };
}

/**
 * What the gate demands of a rollout's action. An upgrade: a fresh report of the target version,
 * coverage within the strategy's allowed drop. A mesh adoption only adds proxies: any version,
 * and no drop at all below the coverage measured before it.
 */
export function gateOf(
  action: 'UPGRADE' | 'MESH_NAMESPACES',
  targetVersion: string,
  gate: RolloutStrategy['healthGate'],
): Pick<GateInput, 'targetVersion' | 'gate'> {
  return action === 'MESH_NAMESPACES'
    ? { targetVersion: null, gate: { ...gate, maxCoverageDrop: 0 } }
    : { targetVersion, gate };
}

/** When an operation's last recorded step ran (epoch ms), or 0. */
export function lastStepAt(steps: unknown): number {
  const list = Array.isArray(steps) ? (steps as { at?: unknown }[]) : [];
  const at = list.at(-1)?.at;
  return (typeof at === 'string' && Date.parse(at)) || 0;
}

/** When a gating target of the wave can next pass: its gate's end, or soon if its report is late. */
export function nextGateCheck(wave: { status: string; gateUntil: Date | null }[], now: Date): Date | null {
  let next: number | null = null;
  for (const t of wave) {
    if (t.status !== 'GATING' || !t.gateUntil) continue;
    // Still gating after its end: no report since the upgrade yet (or not a fresh one).
    const late = now >= t.gateUntil;
    const at = late ? now.getTime() + REPORT_RECHECK_MS : t.gateUntil.getTime();
    if (next === null || at < next) next = at;
  }
  return next === null ? null : new Date(Math.max(next, now.getTime()));
}
