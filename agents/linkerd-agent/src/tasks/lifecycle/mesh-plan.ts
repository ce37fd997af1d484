// Mesh adoption's annotate step: the namespace annotations, and the plan of workloads to restart
// with the template annotations each batch writes.
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { MeshNamespacesParams } from '@meshfleet/agent-protocol';
import { ANNOTATION_INJECT, isDataPlanePodOf, isFinished, isMeshed, workloadOf } from '@meshfleet/linkerd';
import { RESTARTABLE, refOf, type Workload, type WorkloadKey } from './data-plane';
import type { LifecycleContext } from './lifecycle-context';
import {
  ANNOTATION_OPAQUE_PORTS,
  INJECT_BEFORE,
  KIND_ORDER,
  label,
  parseBefore,
  templateAnnotations,
  writeAnnotations,
  type Planned,
} from './mesh-annotations';

interface PodsByWorkload {
  get(w: WorkloadKey): V1Pod[];
}

async function livePods(ctx: LifecycleContext, namespaces: readonly string[]): Promise<PodsByWorkload> {
  const map = new Map<string, V1Pod[]>();
  for (const ns of namespaces) {
    for (const pod of await ctx.kube.list<V1Pod>('v1', 'Pod', ns)) {
      if (isFinished(pod) || pod.metadata?.deletionTimestamp) continue;
      const w = workloadOf(pod);
      const key = `${w.kind}/${ns}/${w.name}`;
      map.set(key, [...(map.get(key) ?? []), pod]);
    }
  }
  return { get: (w) => map.get(label(w)) ?? [] };
}

/** Writes what the annotate step writes and plans the batches. */
export async function annotate(
  ctx: LifecycleContext,
  p: MeshNamespacesParams,
  mesh: boolean,
): Promise<{ planned: Planned[]; message: string }> {
  const cp = p.controlPlaneNamespace;
  const namespaces = [...new Set(p.namespaces)].sort();
  const nsObjects = new Map<string, V1Namespace>();
  for (const ns of namespaces) {
    nsObjects.set(ns, (await ctx.kube.get<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: ns }))!);
  }
  const notes: string[] = [];
  const nsAsks = new Map<string, boolean>();

  if (p.workloads.length === 0) {
    for (const ns of namespaces) {
      const a = nsObjects.get(ns)!.metadata?.annotations ?? {};
      const before = parseBefore(a[INJECT_BEFORE]);
      let patch: Record<string, string | null>;
      if (mesh) {
        patch = { [ANNOTATION_INJECT]: 'enabled' };
        if (!before)
          patch[INJECT_BEFORE] = JSON.stringify({ inject: a[ANNOTATION_INJECT] ?? null, opaquePorts: null });
      } else {
        // Back to what MESH found; an `enabled` found there goes too (UNMESH is asked to leave
        // the namespace unmeshed, whoever had enabled it).
        const restore = before?.inject === 'enabled' ? null : (before?.inject ?? null);
        patch = { [ANNOTATION_INJECT]: restore, [INJECT_BEFORE]: null };
      }
      await ctx.kube.mergePatch(
        { apiVersion: 'v1', kind: 'Namespace', name: ns },
        { metadata: { name: ns, annotations: patch } },
      );
      nsAsks.set(ns, patch[ANNOTATION_INJECT] === 'enabled');
    }
    notes.push(
      `${mesh ? 'set' : 'removed'} ${ANNOTATION_INJECT}${mesh ? ': enabled' : ''} on ${namespaces.join(', ')}`,
    );
  } else {
    for (const ns of namespaces)
      nsAsks.set(ns, nsObjects.get(ns)!.metadata?.annotations?.[ANNOTATION_INJECT] === 'enabled');
  }

  const pods = await livePods(ctx, namespaces);
  const planned: Planned[] = [];
  const candidates: Array<{ key: WorkloadKey; obj: Workload; opaquePorts?: number[] }> = [];
  if (p.workloads.length) {
    for (const w of p.workloads) {
      const key = { kind: w.kind, namespace: w.namespace, name: w.name };
      const obj = await ctx.kube.get<Workload>(refOf(key));
      if (obj) candidates.push({ key, obj, opaquePorts: w.opaquePorts });
    }
  } else {
    for (const ns of namespaces)
      for (const kind of KIND_ORDER)
        for (const obj of await ctx.kube.list<Workload>(RESTARTABLE[kind], kind, ns))
          candidates.push({ key: { kind, namespace: ns, name: obj.metadata?.name ?? '' }, obj });
  }
  candidates.sort(
    (a, b) =>
      a.key.namespace.localeCompare(b.key.namespace) ||
      KIND_ORDER.indexOf(a.key.kind) - KIND_ORDER.indexOf(b.key.kind) ||
      a.key.name.localeCompare(b.key.name),
  );

  let recorded = 0;
  for (const { key, obj, opaquePorts } of candidates) {
    const tpl = templateAnnotations(obj);
    const meta = obj.metadata?.annotations ?? {};
    const before = parseBefore(meta[INJECT_BEFORE]);
    const own = tpl[ANNOTATION_INJECT];
    const current = pods.get(key);
    const meshedNow = current.filter((pod) => isDataPlanePodOf(pod, cp) || isMeshed(pod));
    const template: Record<string, string | null> = {};
    const metadata: Record<string, string | null> = {};
    if (p.workloads.length) {
      const opaque = opaquePorts?.length ? [...opaquePorts].sort((x, y) => x - y).join(',') : undefined;
      if (mesh) {
        if (!before) {
          metadata[INJECT_BEFORE] = JSON.stringify({
            inject: own ?? null,
            opaquePorts: tpl[ANNOTATION_OPAQUE_PORTS] ?? null,
          });
          // Recorded now, before any batch runs: a retry after a crash must still see the original.
          await ctx.kube.mergePatch(refOf(key), {
            metadata: { name: key.name, namespace: key.namespace, annotations: metadata },
          });
          recorded++;
        }
        template[ANNOTATION_INJECT] = 'enabled';
        if (opaque) template[ANNOTATION_OPAQUE_PORTS] = opaque;
        const upToDate =
          own === 'enabled' && (!opaque || tpl[ANNOTATION_OPAQUE_PORTS] === opaque) && current.length > 0;
        if (upToDate && meshedNow.length === current.length) {
          notes.push(`${key.kind}/${key.name} already meshed`);
          continue;
        }
      } else {
        template[ANNOTATION_INJECT] = before ? before.inject : own === 'enabled' ? null : (own ?? null);
        template[ANNOTATION_OPAQUE_PORTS] = before
          ? before.opaquePorts
          : (tpl[ANNOTATION_OPAQUE_PORTS] ?? null);
        if (template[ANNOTATION_INJECT] !== 'disabled' && nsAsks.get(key.namespace))
          template[ANNOTATION_INJECT] = 'disabled';
        metadata[INJECT_BEFORE] = null;
        // Nothing meshed and nothing to put back: no restart. (Writing a template rolls it, so a
        // template that still changes goes through a batch like the others.)
        if (meshedNow.length === 0 && !before && (own ?? null) === template[ANNOTATION_INJECT]) {
          notes.push(`${key.kind}/${key.name} has no meshed pods`);
          continue;
        }
      }
    } else if (mesh) {
      // A `disabled` Meshfleet set (a rolled-back batch) is lifted; the workload's own is respected.
      if (before) {
        template[ANNOTATION_INJECT] = before.inject;
        metadata[INJECT_BEFORE] = null;
      } else if (own === 'disabled') {
        notes.push(`${key.kind}/${key.name} opted out (${ANNOTATION_INJECT}: disabled)`);
        continue;
      }
      if (current.length === 0) {
        notes.push(`${key.kind}/${key.name} has no pods (meshed when it scales up)`);
        if (before) await writeAnnotations(ctx, key, template, metadata);
        continue;
      }
      if (!before && meshedNow.length === current.length) {
        notes.push(`${key.kind}/${key.name} already meshed`);
        continue;
      }
    } else {
      if (before) {
        template[ANNOTATION_INJECT] = before.inject;
        metadata[INJECT_BEFORE] = null;
      }
      const asks = (template[ANNOTATION_INJECT] ?? own) === 'enabled';
      if (asks) {
        notes.push(`${key.kind}/${key.name} stays meshed (its own ${ANNOTATION_INJECT}: enabled)`);
        continue;
      }
      if (meshedNow.length === 0 && !before) continue;
    }
    planned.push({ ...key, template, metadata });
  }
  if (recorded) notes.push(`recorded the previous annotations of ${recorded} workloads`);
  notes.push(`${planned.length} workloads to restart in batches of ${p.batchSize}`);
  return { planned, message: notes.join('; ').slice(0, 4000) };
}
