// `linkerd check --pre` for the operations: Kubernetes in the release's range, Gateway API CRDs
// where the release expects them, no other Linkerd, and the upgrade-path policy for upgrades.
import type { V1CustomResourceDefinition, V1Deployment, V1Node } from '@kubernetes/client-node';
import {
  checkUpgradePath,
  kubernetesRangeFor,
  parseLinkerdVersion,
  requiredGatewayApiCrds,
  type UpgradePathDecision,
} from '@meshfleet/linkerd';
import type { ClusterOps } from '../../kube/cluster-ops';
import type { BundleObject } from './bundle-objects';
import { lifecycleFailure } from './lifecycle-failure';

export function releaseMajor(version: string): number {
  const major = parseLinkerdVersion(version)?.major;
  if (major === null || major === undefined) {
    throw lifecycleFailure(
      'PRECHECK_FAILED',
      `"${version}" is not a Linkerd release with a known major version`,
    );
  }
  return major;
}

/** Upgrade-path policy; `from` null checks only the Kubernetes range (fresh install). */
export function pathDecision(
  from: string | null,
  to: string,
  kubernetesVersion: string,
  oldestProxyVersions: readonly string[] = [],
  allowDowngrade = false,
): UpgradePathDecision {
  const target = kubernetesRangeFor(releaseMajor(to));
  const base = { from, to, clusterKubernetesVersion: kubernetesVersion, target, allowDowngrade };
  const first = checkUpgradePath(base);
  if (!first.allowed) return first;
  for (const proxy of oldestProxyVersions) {
    const d = checkUpgradePath({ ...base, oldestProxyVersion: proxy });
    if (!d.allowed) return d;
  }
  return first;
}

/** Gateway API CRDs the release needs but does not ship itself, and that the cluster lacks. */
export async function missingGatewayApiCrds(
  ops: ClusterOps,
  version: string,
  crdsInBundle: readonly BundleObject[],
): Promise<string[]> {
  const shipped = new Set(crdsInBundle.map((c) => c.metadata.name));
  const needed = requiredGatewayApiCrds(releaseMajor(version)).filter((n) => !shipped.has(n));
  const present = await Promise.all(
    needed.map((name) =>
      ops.get<V1CustomResourceDefinition>({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name,
      }),
    ),
  );
  return needed.filter((_, i) => !present[i]);
}

interface SpreadTerm {
  topologyKey: string;
  labelSelector?: {
    matchLabels?: Record<string, string>;
    matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
  };
}

function selectsOwnPods(term: SpreadTerm, labels: Record<string, string>): boolean {
  const sel = term.labelSelector;
  if (!sel) return false;
  if (Object.entries(sel.matchLabels ?? {}).some(([k, v]) => labels[k] !== v)) return false;
  return (sel.matchExpressions ?? []).every((e) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === 'In') return has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'NotIn') return !has || !(e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    return false;
  });
}

const nodeUsable = (n: V1Node): boolean =>
  !n.spec?.unschedulable &&
  (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * Deployments of the bundle whose replicas cannot all be placed: a required pod anti-affinity
 * against their own pods (the HA variant's one-replica-per-host rule) needs as many distinct
 * values of the topology key among the usable nodes as it has replicas. Installing anyway would
 * leave replicas Pending and the rollout would never finish.
 */
export async function unplaceableReplicas(
  ops: ClusterOps,
  objects: readonly BundleObject[],
): Promise<string[]> {
  const spread = objects.filter(
    (o) =>
      o.kind === 'Deployment' &&
      ((o as unknown as V1Deployment).spec?.template.spec?.affinity?.podAntiAffinity
        ?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0,
  ) as unknown as V1Deployment[];
  if (spread.length === 0) return [];
  const nodes = (await ops.list<V1Node>('v1', 'Node')).filter(nodeUsable);
  const out: string[] = [];
  for (const d of spread) {
    const tpl = d.spec!.template;
    const replicas = d.spec?.replicas ?? 1;
    const selector = tpl.spec?.nodeSelector ?? {};
    const eligible = nodes.filter((n) =>
      Object.entries(selector).every(([k, v]) => n.metadata?.labels?.[k] === v),
    );
    for (const term of tpl.spec!.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution!) {
      if (!selectsOwnPods(term as SpreadTerm, tpl.metadata?.labels ?? {})) continue;
      const domains = new Set(
        eligible.map((n) => n.metadata?.labels?.[term.topologyKey]).filter((v) => v !== undefined),
      );
      if (domains.size < replicas) {
        out.push(
          `${d.metadata?.name} needs ${replicas} distinct ${term.topologyKey} (required pod anti-affinity), the cluster has ${domains.size} usable`,
        );
        break;
      }
    }
  }
  return out;
}
