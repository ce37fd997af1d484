// The result every successful lifecycle task returns (LifecycleOutputSchema).
import type { TaskOutput } from '@meshfleet/agent-protocol';
import type { LifecycleContext } from './lifecycle-context';
import { installedControlPlane } from './installed-control-plane';
import type { PostcheckSummary } from './postcheck';

export type LifecycleOutput = Extract<TaskOutput, { kind: 'LIFECYCLE' }>;

export async function lifecycleOutput(
  ctx: LifecycleContext,
  controlPlaneNamespace: string,
  postcheck: PostcheckSummary,
): Promise<LifecycleOutput> {
  const installed = await installedControlPlane(ctx.kube, controlPlaneNamespace);
  return { kind: 'LIFECYCLE', controlPlaneVersion: installed.version, postcheck };
}
