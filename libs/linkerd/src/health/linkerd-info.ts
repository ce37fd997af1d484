// The report's `linkerd` section: is it installed, which version, which proxies run, and skew.
import type { LinkerdInfo } from '@meshfleet/agent-protocol';
import { findConfigMap } from '../cluster/objects';
import { parseLinkerdConfig } from '../cluster/linkerd-config';
import { isDataPlanePodOf, isMeshed, isRunning, proxyVersion } from '../cluster/pods';
import { DEFAULT_CONTROL_PLANE_NAMESPACE, LINKERD_CONFIG_MAP } from '../constants';
import { versionHistogram } from '../mtls/histogram';
import type { ClusterSnapshot } from '../snapshot';
import { parseLinkerdVersion } from '../version/linkerd-version';
import { versionSkew } from '../version/skew';

/** Installed = the `linkerd-config` ConfigMap exists, the same test as `linkerd check`. */
export function isLinkerdInstalled(s: ClusterSnapshot, ns = DEFAULT_CONTROL_PLANE_NAMESPACE): boolean {
  return findConfigMap(s, ns, LINKERD_CONFIG_MAP) !== undefined;
}

export function linkerdInfo(s: ClusterSnapshot, ns = DEFAULT_CONTROL_PLANE_NAMESPACE): LinkerdInfo {
  const cm = findConfigMap(s, ns, LINKERD_CONFIG_MAP);
  const parsed = cm ? parseLinkerdConfig(cm) : null;
  const values = parsed?.ok ? parsed.values : null;
  const version = values?.linkerdVersion ?? null;
  const proxies = s.pods.filter((p) => isRunning(p) && isMeshed(p) && isDataPlanePodOf(p, ns));
  const proxyVersions = versionHistogram(proxies.map(proxyVersion));
  const channel = version ? parseLinkerdVersion(version)?.channel : undefined;
  return {
    installed: cm !== undefined,
    controlPlaneNamespace: ns,
    version,
    ...(channel ? { channel } : {}),
    ...(values ? { ha: values.highAvailability } : {}),
    proxyVersions,
    skew: versionSkew(version, proxyVersions),
  };
}
