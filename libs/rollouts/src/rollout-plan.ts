// Planning is pure: which clusters go in which wave, and which are left out and why.
import { checkUpgradePath, gitopsToolLabel, namespaceRefusal } from '@meshfleet/linkerd';
import { RolloutStrategy } from './rollout-strategy';

export interface PlanCandidate {
  id: string;
  name: string;
  status: string;
  /** MONITOR clusters are never upgraded (their agent may only read). */
  mode: string;
  /** Set when the cluster is in GITOPS mode (the tool, or GITOPS when unknown): never planned. */
  gitopsTool?: string | null;
  linkerdInstalled: boolean;
  currentVersion: string | null;
  kubernetesVersion: string | null;
  oldestProxyVersion: string | null;
}

export interface PlanRelease {
  version: string;
  kubernetesMin: string;
  kubernetesMax: string | null;
}

export interface PlannedWave {
  index: number;
  name: string;
  clusters: { id: string; name: string; fromVersion: string | null }[];
}

export interface Excluded {
  clusterId: string;
  clusterName: string;
  code: string;
  reason: string;
}

export interface Plan {
  /** UPGRADE: the release; a mesh adoption plan has none (empty). */
  targetVersion: string;
  waves: PlannedWave[];
  excluded: Excluded[];
}

/** Why a cluster is left out of a rollout, or null when it takes part. */
type Exclusion = { code: string; reason: string } | null;

/**
 * The plan both actions share: clusters by name, those whose agent cannot take an operation
 * (MONITOR, not enrolled, offline when offline clusters are skipped) excluded, then the action's
 * own check (`admit`); the rest in waves.
 */
function planWaves<C extends PlanCandidate>(
  candidates: C[],
  s: RolloutStrategy,
  targetVersion: string,
  admit: (c: C) => Exclusion,
): Plan {
  const excluded: Excluded[] = [];
  const eligible: PlanCandidate[] = [];
  for (const c of [...candidates].sort((a, b) => a.name.localeCompare(b.name))) {
    const why = agentExclusion(c, s) ?? admit(c);
    if (why) excluded.push({ clusterId: c.id, clusterName: c.name, ...why });
    else eligible.push(c);
  }
  return { targetVersion, waves: splitWaves(eligible, s), excluded };
}

function agentExclusion(c: PlanCandidate, s: RolloutStrategy): Exclusion {
  if (c.mode === 'MONITOR')
    return {
      code: 'CLUSTER_MONITOR_ONLY',
      reason: 'The cluster is in MONITOR mode: its agent may only read',
    };
  if (c.gitopsTool)
    return {
      code: 'GITOPS_MANAGED',
      reason: `${gitopsToolLabel(c.gitopsTool)} applies Linkerd on this cluster (GITOPS mode); change it in Git`,
    };
  if (c.status === 'PENDING') return { code: 'NOT_ENROLLED', reason: 'The agent has not enrolled yet' };
  if (c.status === 'OFFLINE' && s.offlineClusters.mode === 'SKIP')
    return { code: 'OFFLINE', reason: 'The agent is offline and offline clusters are skipped' };
  return null;
}

export function planRollout(candidates: PlanCandidate[], release: PlanRelease, s: RolloutStrategy): Plan {
  return planWaves(candidates, s, release.version, (c) => {
    if (!c.linkerdInstalled || !c.currentVersion)
      return {
        code: 'NOT_INSTALLED',
        reason: 'Linkerd is not installed (or no report yet); install it first',
      };
    const path = checkUpgradePath({
      from: c.currentVersion,
      to: release.version,
      clusterKubernetesVersion: c.kubernetesVersion ?? '',
      target: { kubernetesMin: release.kubernetesMin, kubernetesMax: release.kubernetesMax },
      oldestProxyVersion: c.oldestProxyVersion,
    });
    return path.allowed ? null : { code: path.code, reason: path.reason };
  });
}

/** The canary, then waves of the configured sizes, then the rest. */
function splitWaves(eligible: PlanCandidate[], s: RolloutStrategy): PlannedWave[] {
  const pick = (c: PlanCandidate) => ({ id: c.id, name: c.name, fromVersion: c.currentVersion });
  const waves: PlannedWave[] = [];
  let rest = eligible;
  const canary = s.canary.clusterIds.length
    ? rest.filter((c) => s.canary.clusterIds.includes(c.id))
    : rest.slice(0, Math.min(s.canary.count, rest.length));
  if (canary.length) {
    waves.push({ index: 0, name: 'canary', clusters: canary.map(pick) });
    rest = rest.filter((c) => !canary.includes(c));
  }
  const sizes =
    s.waves.sizes ??
    (s.waves.percentages
      ? s.waves.percentages.map((p) => Math.max(1, Math.round((p / 100) * rest.length)))
      : []);
  for (const size of sizes) {
    if (!rest.length) break;
    waves.push({
      index: waves.length,
      name: `wave ${waves.length}`,
      clusters: rest.slice(0, size).map(pick),
    });
    rest = rest.slice(size);
  }
  if (rest.length)
    waves.push({ index: waves.length, name: `wave ${waves.length}`, clusters: rest.map(pick) });
  return waves;
}

/** What mesh adoption planning reads of a cluster besides the upgrade facts. */
export interface MeshPlanCandidate extends PlanCandidate {
  controlPlaneNamespace: string | null;
  /** The report's application namespaces; null without a report. */
  namespaces: string[] | null;
  namespacesTruncated: boolean;
  /** Namespaces the report's adoption facts label as Linkerd's; null from agents without them. */
  linkerdNamespaces?: string[] | null;
}

/**
 * A fleet-wide mesh adoption: clusters that can take a MESH_NAMESPACES operation for all of
 * `namespaces`, in waves; the others are excluded with the reason (no Linkerd, a namespace the
 * cluster lacks or that is Linkerd's own).
 */
export function planMeshRollout(
  candidates: MeshPlanCandidate[],
  namespaces: string[],
  s: RolloutStrategy,
): Plan {
  return planWaves(candidates, s, '', (c) => {
    if (!c.linkerdInstalled || c.namespaces === null)
      return {
        code: 'NOT_INSTALLED',
        reason: 'Linkerd is not installed (or no report yet): its proxy injector meshes pods',
      };
    const facts = {
      controlPlaneNamespace: c.controlPlaneNamespace,
      knownNamespaces: c.namespaces,
      namespacesTruncated: c.namespacesTruncated,
      ...(c.linkerdNamespaces ? { linkerdNamespaces: c.linkerdNamespaces } : {}),
    };
    const refused = namespaces.map((ns) => namespaceRefusal(ns, facts)).filter((x) => x !== null);
    if (!refused.length) return null;
    if (refused.every((x) => x.code === 'UNKNOWN_NAMESPACE'))
      return {
        code: 'MISSING_NAMESPACES',
        reason: `The cluster has no namespace ${refused.map((x) => x.namespace).join(', ')}`,
      };
    return {
      code: refused[0]!.code,
      reason: `Namespace ${refused[0]!.namespace} may not be meshed (${refused[0]!.code})`,
    };
  });
}
