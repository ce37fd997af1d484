// RESTART_DATA_PLANE: rolls meshed workloads (all, or the listed namespaces) one namespace at a
// time so each picks up the current proxy version and trust roots.
import type { TaskEnvelope } from '@meshfleet/agent-protocol';
import { restartDataPlane } from './data-plane';
import { installedControlPlane } from './installed-control-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import { lifecycleOutput, type LifecycleOutput } from './lifecycle-output';
import { postcheck, type PostcheckSummary } from './postcheck';
import { runStep } from './step';

type RestartTask = Extract<TaskEnvelope, { kind: 'RESTART_DATA_PLANE' }>;

export async function restartDataPlaneTask(
  ctx: LifecycleContext,
  task: RestartTask,
): Promise<LifecycleOutput> {
  const { controlPlaneNamespace: ns, namespaces, operationId } = task.params;
  await runStep(ctx, 'precheck', 'PRECHECK_FAILED', async () => {
    if (!(await installedControlPlane(ctx.kube, ns)).present) {
      throw lifecycleFailure('NOT_INSTALLED', `no Linkerd control plane (linkerd-config) in namespace ${ns}`);
    }
  });
  await runStep(ctx, 'data-plane-restart', 'DATA_PLANE_RESTART_FAILED', () =>
    restartDataPlane(ctx, ns, operationId, namespaces),
  );
  let summary: PostcheckSummary | undefined;
  await runStep(ctx, 'postcheck', 'POSTCHECK_FAILED', async () => {
    summary = await postcheck(ctx, { controlPlaneNamespace: ns, proxy: true });
    return { message: summary.summary.split('\n')[0] };
  });
  return lifecycleOutput(ctx, ns, summary!);
}
