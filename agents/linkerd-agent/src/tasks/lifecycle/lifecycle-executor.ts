// Dispatches a lifecycle task to its operation. Each operation emits its own step events; the
// task runner only delivers the result.
import type { TaskEnvelope } from '@meshfleet/agent-protocol';
import { applyExtension } from './extension.task';
import { installLinkerd } from './install.task';
import type { LifecycleContext } from './lifecycle-context';
import type { LifecycleOutput } from './lifecycle-output';
import { meshNamespacesTask } from './mesh-namespaces.task';
import { reconcileDriftTask } from './reconcile-drift.task';
import { restartDataPlaneTask } from './restart-data-plane.task';
import { rotateIssuer } from './rotate-issuer.task';
import { uninstallExtension } from './uninstall-extension.task';
import { uninstallLinkerd } from './uninstall.task';
import { upgradeLinkerd } from './upgrade.task';

export type LifecycleTask = Exclude<TaskEnvelope, { kind: 'COLLECT_PROXY_METRICS' }>;

export function isLifecycleTask(task: TaskEnvelope): task is LifecycleTask {
  return task.kind !== 'COLLECT_PROXY_METRICS';
}

export function executeLifecycle(ctx: LifecycleContext, task: LifecycleTask): Promise<LifecycleOutput> {
  switch (task.kind) {
    case 'LINKERD_INSTALL':
      return installLinkerd(ctx, task);
    case 'LINKERD_UPGRADE':
      return upgradeLinkerd(ctx, task);
    case 'LINKERD_UNINSTALL':
      return uninstallLinkerd(ctx, task);
    case 'ROTATE_ISSUER':
      return rotateIssuer(ctx, task);
    case 'RESTART_DATA_PLANE':
      return restartDataPlaneTask(ctx, task);
    case 'MESH_NAMESPACES':
    case 'UNMESH_NAMESPACES':
      return meshNamespacesTask(ctx, task);
    case 'RECONCILE_DRIFT':
      return reconcileDriftTask(ctx, task);
    case 'INSTALL_EXTENSION':
    case 'UPGRADE_EXTENSION':
      return applyExtension(ctx, task);
    case 'UNINSTALL_EXTENSION':
      return uninstallExtension(ctx, task);
  }
}
