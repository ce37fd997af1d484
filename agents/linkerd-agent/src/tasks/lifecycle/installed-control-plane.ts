// What the cluster says is installed: the version in linkerd-config (the CLI's own source of
// truth, also written by helm) and which namespace the proxy injector webhook points at.
import type { V1ConfigMap, V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import { LINKERD_CONFIG_MAP, parseLinkerdConfig, PROXY_INJECTOR_WEBHOOK } from '@meshfleet/linkerd';
import type { ClusterOps } from '../../kube/cluster-ops';

export interface InstalledControlPlane {
  /** null when linkerd-config is missing in the namespace. */
  version: string | null;
  present: boolean;
}

export async function installedControlPlane(
  ops: ClusterOps,
  namespace: string,
): Promise<InstalledControlPlane> {
  const cm = await ops.get<V1ConfigMap>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace,
    name: LINKERD_CONFIG_MAP,
  });
  if (!cm) return { version: null, present: false };
  const parsed = parseLinkerdConfig(cm);
  return { version: parsed.ok ? parsed.values.linkerdVersion : null, present: true };
}

/** Namespace the cluster's proxy injector webhook serves from, or null when there is none. */
export async function injectorNamespace(ops: ClusterOps): Promise<string | null> {
  const mwc = await ops.get<V1MutatingWebhookConfiguration>({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    name: PROXY_INJECTOR_WEBHOOK,
  });
  if (!mwc) return null;
  return mwc.webhooks?.[0]?.clientConfig.service?.namespace ?? null;
}
