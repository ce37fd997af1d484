// What the informers keep of objects they cache in bulk. Annotations (kubectl's
// last-applied-configuration), managedFields and container env are most of an object's size;
// checks read only Linkerd's own annotation keys and env variable. The cache stores the stripped
// copy only.
import type { V1Container, V1ObjectMeta, V1Pod, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import { TRUST_ANCHORS_ENV } from '@meshfleet/linkerd';

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

/** Container env the checks read: the proxy's trust anchors (the trust-bundle check). */
const KEPT_ENV = new Set([TRUST_ANCHORS_ENV]);

/**
 * One string per distinct env value kept (every meshed pod repeats the same trust-anchor PEM,
 * ~600 bytes each); bounded, so a cluster with unusual values only stops sharing.
 */
const sharedValues = new Map<string, string>();
const MAX_SHARED_VALUES = 64;

function shared(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const known = sharedValues.get(value);
  if (known !== undefined) return known;
  if (sharedValues.size < MAX_SHARED_VALUES) sharedValues.set(value, value);
  return value;
}

const hasEnv = (containers: V1Container[] | undefined): boolean => !!containers?.some((c) => c.env);

function stripContainers(containers: V1Container[]): V1Container[] {
  return containers.map((c) => {
    if (!c.env) return c;
    const { env, ...rest } = c;
    const kept = env
      .filter((e) => KEPT_ENV.has(e.name))
      .map((e) => (e.value === undefined ? e : { ...e, value: shared(e.value) }));
    return kept.length ? { ...rest, env: kept } : rest;
  });
}

/**
 * Pods are read field by field all over the checks (containers, probes, ports, statuses,
 * annotations), so only what nothing reads goes: managedFields, often a third of a pod's size
 * on a real cluster, and container env but the proxy's trust anchors (a meshed pod's proxy
 * carries ~30 variables, a quarter of the pod); thousands of copies on a large cluster.
 */
export function stripPod(p: V1Pod): V1Pod {
  const spec = p.spec;
  const envs = hasEnv(spec?.containers) || hasEnv(spec?.initContainers);
  if (!p.metadata?.managedFields && !envs) return p;
  const { managedFields: _dropped, ...metadata } = p.metadata ?? {};
  return {
    ...p,
    ...(p.metadata ? { metadata } : {}),
    ...(spec && envs
      ? {
          spec: {
            ...spec,
            ...(spec.containers ? { containers: stripContainers(spec.containers) } : {}),
            ...(spec.initContainers ? { initContainers: stripContainers(spec.initContainers) } : {}),
          },
        }
      : {}),
  };
}
