// Why a failed batch's pods started without a proxy, in the injector's own words: its
// InjectionSkipped events (for the pods created since the restart) and its skipped-admission
// counters (proxy_inject_admission_responses_total{skip="true"}), read before and after the batch.
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { MeshNamespacesParams } from '@meshfleet/agent-protocol';
import {
  INJECTOR_ADMIN_PORT,
  describeSkips,
  injectorSkips,
  skipsSince,
  type InjectorSkip,
} from '@meshfleet/linkerd';
import type { WorkloadKey } from './data-plane';
import type { LifecycleContext } from './lifecycle-context';
import type { Planned } from './mesh-annotations';

/** When an event last happened (lastTimestamp has whole seconds; eventTime is the newer field). */
function lastSeen(e: CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? new Date(t as unknown as string).getTime() : 0;
}

/**
 * The injector's InjectionSkipped reasons for the workload's pods created since `since` (the
 * restart). The injector records them on the pod's top owner (the Deployment, not its ReplicaSet),
 * so the old pods' skips sit on the same object: only events seen at or after the restart's second
 * count (a repeat bumps lastTimestamp, so an old reason that recurs for a new pod counts again).
 */
export async function injectionSkipped(
  ctx: LifecycleContext,
  w: WorkloadKey,
  since: Date,
): Promise<string[]> {
  let events: CoreV1Event[];
  try {
    events = await ctx.kube.list<CoreV1Event>(
      'v1',
      'Event',
      w.namespace,
      undefined,
      'reason=InjectionSkipped',
    );
  } catch {
    // Events only add detail to a failure already being reported: never let them replace it.
    return [];
  }
  const from = Math.floor(since.getTime() / 1000) * 1000;
  return [
    ...new Set(
      events
        .filter(
          (e) =>
            e.involvedObject?.kind === w.kind && e.involvedObject?.name === w.name && lastSeen(e) >= from,
        )
        .map((e) => (e.message ?? '').replace(/^Linkerd sidecar proxy injection skipped: /, '')),
    ),
  ];
}

/**
 * The proxy injector replicas' skipped-admission counters (their admin port, through the API
 * server), or null when none could be read: they only add detail to a failure.
 */
export async function readInjectorSkips(
  ctx: LifecycleContext,
  controlPlaneNamespace: string,
): Promise<InjectorSkip[] | null> {
  try {
    const pods = await ctx.kube.list<V1Pod>(
      'v1',
      'Pod',
      controlPlaneNamespace,
      'linkerd.io/control-plane-component=proxy-injector',
    );
    const scrapes: string[] = [];
    for (const pod of pods) {
      if (pod.status?.phase !== 'Running' || !pod.metadata?.name) continue;
      const res = await ctx.kube
        .podProxyGet({
          namespace: controlPlaneNamespace,
          pod: pod.metadata.name,
          port: INJECTOR_ADMIN_PORT,
          path: 'metrics',
          timeoutMs: 5000,
          maxBytes: 4 * 1024 * 1024,
          signal: ctx.signal,
        })
        .catch(() => null);
      if (res?.status === 200) scrapes.push(res.body);
    }
    return scrapes.length ? injectorSkips(scrapes) : null;
  } catch {
    return null;
  }
}

/** The injector's skips in the batch's namespaces since `before`, as a sentence, or ''. */
export async function batchSkips(
  ctx: LifecycleContext,
  p: MeshNamespacesParams,
  batch: readonly Planned[],
  before: InjectorSkip[] | null,
): Promise<string> {
  if (!before) return '';
  const after = await readInjectorSkips(ctx, p.controlPlaneNamespace);
  if (!after) return '';
  const namespaces = new Set(batch.map((w) => w.namespace));
  return describeSkips(skipsSince(before, after).filter((s) => namespaces.has(s.namespace)));
}
