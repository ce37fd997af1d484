// What the kubelet's secret, configMap and projected volume plugins check before a pod's
// containers can start: the referenced object exists (unless optional) and every key listed
// in `items` is in it (unless optional). Messages are the kubelet's own, so FailedMount
// events read as on a real node.
import type { SimCluster } from '../cluster/sim-cluster';
import { KubeObject } from '../store/types';

interface KeyToPath {
  key: string;
}

interface ObjectSource {
  name?: string;
  secretName?: string;
  optional?: boolean;
  items?: KeyToPath[];
}

interface Volume {
  name: string;
  secret?: ObjectSource;
  configMap?: ObjectSource;
  projected?: { sources?: Array<{ secret?: ObjectSource; configMap?: ObjectSource }> };
}

export interface MountFailure {
  volume: string;
  message: string;
}

type Kind = 'secret' | 'configmap';

/** Names of the Secrets and ConfigMaps the pod's volumes read, for re-checking on change. */
export function referencedObjects(pod: KubeObject): Array<{ kind: Kind; name: string }> {
  const out: Array<{ kind: Kind; name: string }> = [];
  for (const v of volumesOf(pod)) for (const s of sourcesOf(v)) out.push({ kind: s.kind, name: s.name });
  return out;
}

/** One failure per volume that cannot be set up now, in spec order. */
export function mountFailures(cluster: SimCluster, pod: KubeObject): MountFailure[] {
  const ns = pod.metadata.namespace ?? 'default';
  const failures: MountFailure[] = [];
  for (const v of volumesOf(pod)) {
    const errors: string[] = [];
    for (const s of sourcesOf(v)) {
      const err = checkSource(cluster, ns, s);
      if (err) errors.push(err);
      // A plain secret/configMap volume stops at its first error; projected collects them all.
      if (err && !v.projected) break;
    }
    if (errors.length === 0) continue;
    // The kubelet aggregates several errors as "[a, b]" (utilerrors.NewAggregate).
    const detail = errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
    failures.push({ volume: v.name, message: `MountVolume.SetUp failed for volume "${v.name}" : ${detail}` });
  }
  return failures;
}

interface Source {
  kind: Kind;
  name: string;
  optional: boolean;
  keys: string[];
}

function volumesOf(pod: KubeObject): Volume[] {
  return ((pod['spec'] as { volumes?: Volume[] } | undefined)?.volumes ?? []).filter(Boolean);
}

function sourcesOf(v: Volume): Source[] {
  const one = (kind: Kind, s: ObjectSource | undefined): Source[] =>
    s
      ? [
          {
            kind,
            name: (kind === 'secret' ? s.secretName : s.name) ?? '',
            optional: s.optional === true,
            keys: (s.items ?? []).map((i) => i.key),
          },
        ]
      : [];
  if (v.secret) return one('secret', v.secret);
  if (v.configMap) return one('configmap', v.configMap);
  // Projected secret/configMap sources name the object with `name`, not `secretName`.
  return (v.projected?.sources ?? []).flatMap((s) => [
    ...one('secret', s.secret ? { ...s.secret, secretName: s.secret.name } : undefined),
    ...one('configmap', s.configMap),
  ]);
}

function checkSource(cluster: SimCluster, ns: string, s: Source): string | undefined {
  const plural = s.kind === 'secret' ? 'secrets' : 'configmaps';
  const obj = cluster.objects.find(cluster.type('', plural), ns, s.name);
  if (!obj) return s.optional ? undefined : `${s.kind} "${s.name}" not found`;
  const have = new Set([
    ...Object.keys((obj['data'] as Record<string, unknown> | undefined) ?? {}),
    ...Object.keys((obj['binaryData'] as Record<string, unknown> | undefined) ?? {}),
  ]);
  const missing = s.optional ? undefined : s.keys.find((k) => !have.has(k));
  if (missing === undefined) return undefined;
  return s.kind === 'secret'
    ? `references non-existent secret key: ${missing}`
    : `configmap references non-existent config key: ${missing}`;
}
