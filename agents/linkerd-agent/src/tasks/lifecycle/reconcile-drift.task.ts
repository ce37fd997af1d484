// RECONCILE_DRIFT: re-apply the control-plane objects this agent last applied (drift detection's
// desired state) with its field manager and force, taking every drifted field back, then wait
// for the rollout. Nothing is re-rendered or fetched: the objects are exactly the applied ones.
import type { TaskEnvelope } from '@meshfleet/agent-protocol';
import type { BundleObject } from './bundle-objects';
import { applyAll } from './apply';
import { installedControlPlane } from './installed-control-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import { lifecycleOutput, type LifecycleOutput } from './lifecycle-output';
import { postcheck, type PostcheckSummary } from './postcheck';
import { waitControlPlaneRollout } from './rollout';
import { runStep } from './step';

type ReconcileTask = Extract<TaskEnvelope, { kind: 'RECONCILE_DRIFT' }>;

export async function reconcileDriftTask(
  ctx: LifecycleContext,
  task: ReconcileTask,
): Promise<LifecycleOutput> {
  const ns = task.params.controlPlaneNamespace;
  let objects: BundleObject[] = [];
  await runStep(ctx, 'precheck', 'PRECHECK_FAILED', async () => {
    if (!(await installedControlPlane(ctx.kube, ns)).present)
      throw lifecycleFailure('NOT_INSTALLED', `no Linkerd control plane (linkerd-config) in namespace ${ns}`);
    await ctx.desired?.restore();
    const desired = ctx.desired?.current();
    if (!desired)
      throw lifecycleFailure(
        'NO_DESIRED_STATE',
        'the agent holds no applied release (none in memory nor in its ConfigMap); upgrade or re-install to re-apply',
      );
    objects = desired.objects as BundleObject[];
    return { message: `${objects.length} objects applied ${desired.appliedAt} (${desired.digest})` };
  });
  await runStep(ctx, 'reconcile', 'APPLY_FAILED', async () => {
    await applyAll(ctx.kube, objects);
    // Same objects, new pass: the next report checks drift again at once.
    await ctx.desired?.record(objects);
    return { message: `re-applied ${objects.length} objects` };
  });
  await runStep(ctx, 'rollout', 'ROLLOUT_TIMEOUT', async () => ({
    message: await waitControlPlaneRollout(ctx, objects),
  }));
  let summary: PostcheckSummary | undefined;
  await runStep(ctx, 'postcheck', 'POSTCHECK_FAILED', async () => {
    summary = await postcheck(ctx, { controlPlaneNamespace: ns, proxy: false });
    return { message: summary.summary.split('\n')[0] };
  });
  return lifecycleOutput(ctx, ns, summary!);
}
