// `linkerd check --pre` for the operations: Kubernetes in the release's range, Gateway API CRDs
// where the release expects them, no other Linkerd, and the upgrade-path policy for upgrades.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
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
