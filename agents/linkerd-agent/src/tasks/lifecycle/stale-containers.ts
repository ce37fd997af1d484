// Containers a control-plane pod template still has but the release no longer declares.
// Server-side apply only removes fields its own field manager set, so a control plane installed by
// someone else (`linkerd install | kubectl apply`, Helm, …) kept 2.19's `linkerd-proxy` container
// next to 2.20's native-sidecar proxy after an upgrade: every control-plane pod ran two proxies.
import type { ClusterOps } from '../../kube/cluster-ops';
import { describeObject, type BundleObject } from './bundle-objects';

const WORKLOADS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);
const LISTS = ['containers', 'initContainers'] as const;

type Container = { name?: unknown } & Record<string, unknown>;
type PodSpecHolder = { spec?: { template?: { spec?: Record<string, unknown> } } };

function containers(o: PodSpecHolder, list: (typeof LISTS)[number]): Container[] {
  const items = o.spec?.template?.spec?.[list];
  return Array.isArray(items) ? (items as Container[]) : [];
}

/**
 * A JSON merge patch setting each container list of the live template to its entries that
 * `desired` also names (merge patches replace lists whole), or null when nothing is stale.
 */
export function staleContainersPatch(
  desired: BundleObject,
  live: PodSpecHolder,
): { patch: Record<string, unknown>; removed: string[] } | null {
  if (!WORKLOADS.has(desired.kind)) return null;
  const podSpec: Record<string, unknown> = {};
  const removed: string[] = [];
  for (const list of LISTS) {
    const want = new Set(containers(desired as PodSpecHolder, list).map((c) => c.name));
    const current = containers(live, list);
    const kept = current.filter((c) => want.has(c.name));
    if (kept.length === current.length) continue;
    podSpec[list] = kept;
    removed.push(...current.filter((c) => !want.has(c.name)).map((c) => `${list}/${String(c.name)}`));
  }
  if (!removed.length) return null;
  return { patch: { spec: { template: { spec: podSpec } } }, removed };
}

/** Removes stale containers from the bundle's workloads; returns what it removed, per workload. */
export async function pruneStaleContainers(
  ops: ClusterOps,
  objects: readonly BundleObject[],
): Promise<string[]> {
  const out: string[] = [];
  for (const o of objects) {
    if (!WORKLOADS.has(o.kind)) continue;
    const ref = {
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
      namespace: o.metadata.namespace,
    };
    const live = await ops.get<PodSpecHolder & BundleObject>(ref);
    const stale = live && staleContainersPatch(o, live);
    if (!stale) continue;
    await ops.mergePatch(ref, stale.patch);
    out.push(`${describeObject(o)} (${stale.removed.join(', ')})`);
  }
  return out;
}
