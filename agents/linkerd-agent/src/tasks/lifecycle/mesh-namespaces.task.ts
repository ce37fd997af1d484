// MESH_NAMESPACES / UNMESH_NAMESPACES: annotate for injection (or remove it), then restart the
// workloads in batches. Not carried out by this agent version yet: it fails with a clear code
// instead of pretending.
import type { TaskEnvelope } from '@meshfleet/agent-protocol';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import type { LifecycleOutput } from './lifecycle-output';

type MeshTask = Extract<TaskEnvelope, { kind: 'MESH_NAMESPACES' | 'UNMESH_NAMESPACES' }>;

export function meshNamespacesTask(_ctx: LifecycleContext, task: MeshTask): Promise<LifecycleOutput> {
  return Promise.reject(lifecycleFailure('PRECHECK_FAILED', `${task.kind} is not supported by this agent`));
}
