// What the informers keep of objects they cache in bulk. Annotations (kubectl's
// last-applied-configuration) and managedFields are most of an object's size; checks read only
// Linkerd's own annotation keys. The cache stores the stripped copy only.
import type { V1ObjectMeta, V1Pod, V1Service, V1ServiceAccount } from '@kubernetes/client-node';

function meta(m: V1ObjectMeta | undefined): V1ObjectMeta {
  if (!m) return {};
  const out: V1ObjectMeta = {};
  // resourceVersion: the informer resumes its watch from it.
  for (const k of ['name', 'namespace', 'uid', 'resourceVersion', 'labels', 'deletionTimestamp'] as const)
    if (m[k] !== undefined) (out as Record<string, unknown>)[k] = m[k];
  return out;
}

/**
 * Annotation keys the `--proxy` Service checks read: Linkerd's config keys (opaque ports) and the
 * multicluster export key (misplaced as an annotation). A handful of short values at most.
 */
const LINKERD_ANNOTATION = (key: string) =>
  key.startsWith('config.linkerd.io') ||
  key.startsWith('config.alpha.linkerd.io') ||
  key.startsWith('linkerd.io/') ||
  key.startsWith('mirror.linkerd.io/');

function linkerdAnnotations(m: V1ObjectMeta | undefined): Record<string, string> | undefined {
  const kept = Object.entries(m?.annotations ?? {}).filter(([k]) => LINKERD_ANNOTATION(k));
  return kept.length ? Object.fromEntries(kept) : undefined;
}

/**
 * Names, cluster IPs, selector, ports and Linkerd's annotations: what the cluster-network and
 * service checks read.
 */
export function stripService(s: V1Service): V1Service {
  const spec = s.spec;
  const annotations = linkerdAnnotations(s.metadata);
  return {
    apiVersion: s.apiVersion,
    kind: s.kind,
    metadata: { ...meta(s.metadata), ...(annotations ? { annotations } : {}) },
    ...(spec
      ? {
          spec: {
            ...(spec.type ? { type: spec.type } : {}),
            ...(spec.clusterIP ? { clusterIP: spec.clusterIP } : {}),
            ...(spec.clusterIPs ? { clusterIPs: spec.clusterIPs } : {}),
            ...(spec.selector ? { selector: spec.selector } : {}),
            ...(spec.ports ? { ports: spec.ports } : {}),
          },
        }
      : {}),
  };
}

export function stripServiceAccount(sa: V1ServiceAccount): V1ServiceAccount {
  return { apiVersion: sa.apiVersion, kind: sa.kind, metadata: meta(sa.metadata) };
}

/**
 * Pods are read field by field all over the checks (containers, env of the proxy, statuses,
 * annotations), so only what nothing reads goes: managedFields, often a third of a pod's size
 * on a real cluster and thousands of copies on a large one.
 */
export function stripPod(p: V1Pod): V1Pod {
  if (!p.metadata?.managedFields) return p;
  const { managedFields: _dropped, ...metadata } = p.metadata;
  return { ...p, metadata };
}
