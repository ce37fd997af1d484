// The data plane: which workloads run (or ask for) proxies of this control plane, and a rolling
// restart of them namespace by namespace, like `kubectl rollout restart`, waiting for each to roll.
import type { V1DaemonSet, V1Deployment, V1Namespace, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { ANNOTATION_INJECT, isDataPlanePodOf, isFinished, workloadOf } from '@meshfleet/linkerd';
import type { ClusterOps, ObjectRef } from '../../kube/cluster-ops';
import type { LifecycleContext } from './lifecycle-context';
import { deploymentPending } from './rollout';
import { waitFor } from './wait-for';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** Lets a retried task skip workloads it already restarted. */
export const RESTARTED_BY = 'meshfleet.io/restarted-by-operation';

export const RESTARTABLE = { Deployment: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1' } as const;
export type RestartableKind = keyof typeof RESTARTABLE;
const EXCLUDED = new Set(['kube-system', 'cert-manager']);

export interface WorkloadKey {
  kind: RestartableKind;
  namespace: string;
  name: string;
}

export async function meshedPods(ops: ClusterOps, controlPlaneNamespace: string): Promise<V1Pod[]> {
  const pods = await ops.list<V1Pod>('v1', 'Pod');
  return pods.filter(
    (p) =>
      p.metadata?.namespace !== controlPlaneNamespace &&
      !isFinished(p) &&
      isDataPlanePodOf(p, controlPlaneNamespace),
  );
}

function requestsInjection(pod: V1Pod, ns: V1Namespace | undefined): boolean {
  if (EXCLUDED.has(pod.metadata?.namespace ?? '')) return false;
  const own = pod.metadata?.annotations?.[ANNOTATION_INJECT];
  if (own === 'disabled') return false;
  if (own === 'enabled' || own === 'ingress') return true;
  return ns?.metadata?.annotations?.[ANNOTATION_INJECT] === 'enabled';
}

/**
 * Workloads to restart, grouped by namespace (sorted): those with meshed pods, and those whose
 * pods ask for injection but started before the injector ran.
 */
export async function dataPlaneWorkloads(
  ops: ClusterOps,
  controlPlaneNamespace: string,
  onlyNamespaces: readonly string[] = [],
): Promise<Map<string, WorkloadKey[]>> {
  const [pods, namespaces] = await Promise.all([
    ops.list<V1Pod>('v1', 'Pod'),
    ops.list<V1Namespace>('v1', 'Namespace'),
  ]);
  const nsByName = new Map(namespaces.map((n) => [n.metadata?.name ?? '', n]));
  const only = new Set(onlyNamespaces);
  const out = new Map<string, Map<string, WorkloadKey>>();
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? '';
    if (ns === controlPlaneNamespace || isFinished(pod) || (only.size && !only.has(ns))) continue;
    if (!isDataPlanePodOf(pod, controlPlaneNamespace) && !requestsInjection(pod, nsByName.get(ns))) continue;
    const w = workloadOf(pod);
    if (!(w.kind in RESTARTABLE)) continue;
    const key = { kind: w.kind as RestartableKind, namespace: ns, name: w.name };
    if (!out.has(ns)) out.set(ns, new Map());
    out.get(ns)!.set(`${key.kind}/${key.name}`, key);
  }
  return new Map(
    [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([ns, m]) => [ns, [...m.values()]]),
  );
}

export const refOf = (w: WorkloadKey): ObjectRef => ({
  apiVersion: RESTARTABLE[w.kind],
  kind: w.kind,
  namespace: w.namespace,
  name: w.name,
});

export type Workload = V1Deployment | V1StatefulSet | V1DaemonSet;

export function rolloutPending(kind: RestartableKind, o: Workload | null): string | null {
  if (!o) return null; // deleted meanwhile: nothing left to roll
  if (kind === 'Deployment') return deploymentPending(o as V1Deployment);
  if ((o.status?.observedGeneration ?? 0) < (o.metadata?.generation ?? 0))
    return 'new generation not observed';
  if (kind === 'StatefulSet') {
    const s = (o as V1StatefulSet).status;
    const want = (o as V1StatefulSet).spec?.replicas ?? 1;
    if ((s?.updatedReplicas ?? 0) < want || (s?.readyReplicas ?? 0) < want)
      return `${s?.updatedReplicas ?? 0}/${want} updated`;
    return null;
  }
  const s = (o as V1DaemonSet).status;
  const want = s?.desiredNumberScheduled ?? 0;
  if ((s?.updatedNumberScheduled ?? 0) < want || (s?.numberAvailable ?? 0) < want)
    return `${s?.updatedNumberScheduled ?? 0}/${want} updated`;
  return null;
}

/** Restarts one namespace's workloads and waits until every one has rolled. */
export async function restartNamespace(
  ctx: LifecycleContext,
  namespace: string,
  workloads: readonly WorkloadKey[],
  operationId: string,
): Promise<void> {
  const restartedAt = new Date().toISOString();
  for (const w of workloads) {
    const current = await ctx.kube.get<Workload>(refOf(w));
    if (!current) continue;
    if (current.spec?.template?.metadata?.annotations?.[RESTARTED_BY] === operationId) continue;
    await ctx.kube.mergePatch(refOf(w), {
      spec: {
        template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt, [RESTARTED_BY]: operationId } } },
      },
    });
  }
  await waitFor(
    ctx,
    {
      step: 'data-plane-restart',
      what: `workloads in ${namespace} to roll`,
      timeoutCode: 'ROLLOUT_TIMEOUT',
    },
    async () => {
      const pending: string[] = [];
      for (const w of workloads) {
        const p = rolloutPending(w.kind, await ctx.kube.get<Workload>(refOf(w)));
        if (p) pending.push(`${w.kind} ${w.name}: ${p}`);
      }
      return pending.length ? pending.join('; ') : null;
    },
  );
}

export async function restartDataPlane(
  ctx: LifecycleContext,
  controlPlaneNamespace: string,
  operationId: string,
  onlyNamespaces: readonly string[] = [],
): Promise<{ message: string; skipped?: boolean }> {
  const byNs = await dataPlaneWorkloads(ctx.kube, controlPlaneNamespace, onlyNamespaces);
  if (byNs.size === 0) return { message: 'no meshed workloads', skipped: true };
  let count = 0;
  for (const [ns, workloads] of byNs) {
    await ctx.event('data-plane-restart', 'progress', `restarting ${workloads.length} workloads in ${ns}`);
    await restartNamespace(ctx, ns, workloads, operationId);
    count += workloads.length;
  }
  return { message: `restarted ${count} workloads in ${byNs.size} namespaces` };
}
