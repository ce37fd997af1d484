// LINKERD_UNINSTALL: refuses while pods are meshed (unless forced), removes the webhooks first so
// nothing new gets injected, then RBAC and the namespace, then the CRDs, and checks they are gone.
import type { TaskEnvelope } from '@meshfleet/agent-protocol';
import { LABEL_CONTROL_PLANE_NS } from '@meshfleet/linkerd';
import type { AnyObject, ClusterOps, ObjectRef } from '../../kube/cluster-ops';
import { meshedPods } from './data-plane';
import { installedControlPlane } from './installed-control-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import type { LifecycleOutput } from './lifecycle-output';
import { runStep, skipStep } from './step';
import { waitFor } from './wait-for';

type UninstallTask = Extract<TaskEnvelope, { kind: 'LINKERD_UNINSTALL' }>;

const CLUSTER_KINDS = [
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration'],
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
] as const;
const CRD = ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'] as const;

async function labelled(
  ops: ClusterOps,
  [apiVersion, kind]: readonly [string, string],
  ns: string,
): Promise<ObjectRef[]> {
  const items = await ops.list<AnyObject>(apiVersion, kind, undefined, `${LABEL_CONTROL_PLANE_NS}=${ns}`);
  return items.map((o) => ({ apiVersion, kind, name: o.metadata?.name ?? '' }));
}

/** Linkerd's CRDs: labelled by this control plane, or in a *.linkerd.io group. */
async function linkerdCrds(ops: ClusterOps, ns: string): Promise<ObjectRef[]> {
  const all = await ops.list<AnyObject>(CRD[0], CRD[1]);
  return all
    .filter(
      (c) =>
        c.metadata?.labels?.[LABEL_CONTROL_PLANE_NS] === ns ||
        /(^|\.)linkerd\.io$/.test(String((c['spec'] as { group?: string })?.group)),
    )
    .map((c) => ({ apiVersion: CRD[0], kind: CRD[1], name: c.metadata?.name ?? '' }));
}

async function remaining(ops: ClusterOps, ns: string): Promise<string[]> {
  const left: string[] = [];
  if (await ops.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })) left.push(`Namespace ${ns}`);
  for (const k of CLUSTER_KINDS) left.push(...(await labelled(ops, k, ns)).map((r) => `${r.kind} ${r.name}`));
  left.push(...(await linkerdCrds(ops, ns)).map((r) => `CRD ${r.name}`));
  return left;
}

export async function uninstallLinkerd(ctx: LifecycleContext, task: UninstallTask): Promise<LifecycleOutput> {
  // Nothing Meshfleet applied is desired any more, whatever the outcome of the removal.
  ctx.desired?.clear();
  const { controlPlaneNamespace: ns, force } = task.params;
  let nothingLeft = false;
  await runStep(ctx, 'precheck', 'PRECHECK_FAILED', async () => {
    nothingLeft = (await remaining(ctx.kube, ns)).length === 0;
    // Already gone (a retried task): pods that still carry proxies are no reason to fail.
    if (nothingLeft) return { message: 'Linkerd is not installed: nothing to remove' };
    const meshed = await meshedPods(ctx.kube, ns);
    if (meshed.length && !force) {
      const where = [...new Set(meshed.map((p) => p.metadata?.namespace))].sort().join(', ');
      throw lifecycleFailure(
        'MESHED_WORKLOADS',
        `${meshed.length} meshed pods still run (namespaces: ${where}); remove injection and restart them, or force the uninstall`,
      );
    }
    const installed = await installedControlPlane(ctx.kube, ns);
    return {
      message: `removing Linkerd ${installed.version ?? ''} from ${ns}${meshed.length ? ` (forced, ${meshed.length} meshed pods keep their proxies until restarted)` : ''}`,
    };
  });
  if (nothingLeft) {
    await skipStep(ctx, 'uninstall', 'nothing to remove');
  } else {
    await runStep(ctx, 'uninstall', 'UNINSTALL_INCOMPLETE', async () => {
      for (const kind of CLUSTER_KINDS)
        for (const ref of await labelled(ctx.kube, kind, ns)) await ctx.kube.delete(ref);
      await ctx.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
      await waitFor(
        ctx,
        { step: 'uninstall', what: `namespace ${ns} to be deleted`, timeoutCode: 'UNINSTALL_INCOMPLETE' },
        async () =>
          (await ctx.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })) ? 'terminating' : null,
      );
      const crds = await linkerdCrds(ctx.kube, ns);
      for (const ref of crds) await ctx.kube.delete(ref);
      return { message: `control plane and ${crds.length} CRDs deleted` };
    });
  }
  await runStep(ctx, 'postcheck', 'UNINSTALL_INCOMPLETE', async () => {
    await waitFor(
      ctx,
      { step: 'postcheck', what: 'every Linkerd object to be gone', timeoutCode: 'UNINSTALL_INCOMPLETE' },
      async () => {
        const left = await remaining(ctx.kube, ns);
        return left.length ? left.join(', ') : null;
      },
    );
    return { message: 'no Linkerd objects remain' };
  });
  return {
    kind: 'LIFECYCLE',
    controlPlaneVersion: null,
    postcheck: { errors: 0, warnings: 0, summary: 'Linkerd removed; no Linkerd objects remain' },
  };
}
