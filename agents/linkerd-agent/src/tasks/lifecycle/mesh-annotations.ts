// Mesh adoption's annotations: what it writes on pod templates and namespaces, and the marker that
// remembers what was there before Meshfleet changed it.
import { refOf, type RestartableKind, type Workload, type WorkloadKey } from './data-plane';
import type { LifecycleContext } from './lifecycle-context';

export const ANNOTATION_OPAQUE_PORTS = 'config.linkerd.io/opaque-ports';
/** What `linkerd.io/inject` / opaque-ports were before Meshfleet changed them (JSON). */
export const INJECT_BEFORE = 'meshfleet.io/inject-before';

export const KIND_ORDER: RestartableKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

export interface Before {
  inject: string | null;
  opaquePorts: string | null;
}

/** A workload to restart, with the template annotations its batch writes (null removes). */
export interface Planned extends WorkloadKey {
  template: Record<string, string | null>;
  /** Metadata annotations written with it (the marker). */
  metadata: Record<string, string | null>;
}

export const label = (w: WorkloadKey) => `${w.kind}/${w.namespace}/${w.name}`;

export function parseBefore(raw: string | undefined): Before | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<Before>;
    return { inject: v.inject ?? null, opaquePorts: v.opaquePorts ?? null };
  } catch {
    return { inject: null, opaquePorts: null };
  }
}

export const templateAnnotations = (o: Workload): Record<string, string> =>
  o.spec?.template?.metadata?.annotations ?? {};

export async function writeAnnotations(
  ctx: LifecycleContext,
  w: WorkloadKey,
  template: Record<string, string | null>,
  metadata: Record<string, string | null>,
  extra: Record<string, string> = {},
): Promise<void> {
  await ctx.kube.mergePatch(refOf(w), {
    metadata: { name: w.name, namespace: w.namespace, annotations: metadata },
    spec: { template: { metadata: { annotations: { ...template, ...extra } } } },
  });
}
