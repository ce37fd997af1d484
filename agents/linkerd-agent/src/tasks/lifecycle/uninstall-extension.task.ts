// UNINSTALL_EXTENSION: what `linkerd <ext> uninstall | kubectl delete -f -` removes — every object
// labelled `linkerd.io/extension=<name>`, cluster-scoped or in any namespace (the Server,
// HTTPRoute and AuthorizationPolicy objects it left in application namespaces included), and
// its Namespace; multicluster refuses while Links exist, as its CLI does.
import type { TaskEnvelope } from '@meshfleet/agent-protocol';
import type { AnyObject } from '../../kube/cluster-ops';
import { deleteAll, describeRef, labelledObjects } from './extension-objects';
import { installedControlPlane } from './installed-control-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import type { LifecycleOutput } from './lifecycle-output';
import { runStep, skipStep } from './step';
import { waitFor } from './wait-for';

type UninstallExtensionTask = Extract<TaskEnvelope, { kind: 'UNINSTALL_EXTENSION' }>;

async function links(ctx: LifecycleContext): Promise<string[]> {
  const items = (await ctx.kube.listIfServed<AnyObject>('multicluster.linkerd.io/v1alpha3', 'Link')) ?? [];
  return items.map((l) => `${l.metadata?.namespace}/${l.metadata?.name}`);
}

export async function uninstallExtension(
  ctx: LifecycleContext,
  task: UninstallExtensionTask,
): Promise<LifecycleOutput> {
  const { extension, controlPlaneNamespace: cp } = task.params;
  let count = 0;
  await runStep(ctx, 'precheck', 'PRECHECK_FAILED', async () => {
    if (extension === 'multicluster') {
      const found = await links(ctx);
      if (found.length)
        throw lifecycleFailure(
          'LINKS_EXIST',
          `${found.length} Link(s) still exist (${found.join(', ')}): unlink those clusters first (linkerd multicluster unlink)`,
        );
    }
    count = (await labelledObjects(ctx.kube, extension)).length;
    return {
      message: count
        ? `removing ${count} objects labelled for ${extension}`
        : `${extension} is not installed: nothing to remove`,
    };
  });
  if (count === 0) await skipStep(ctx, 'uninstall', 'nothing to remove');
  else
    await runStep(ctx, 'uninstall', 'UNINSTALL_INCOMPLETE', async () => {
      const refs = await labelledObjects(ctx.kube, extension);
      await deleteAll(ctx.kube, refs, 'UNINSTALL_INCOMPLETE');
      return { message: `deleted ${refs.length} objects` };
    });
  await runStep(ctx, 'postcheck', 'UNINSTALL_INCOMPLETE', async () => {
    await waitFor(
      ctx,
      {
        step: 'postcheck',
        what: `every object labelled for ${extension} to be gone`,
        timeoutCode: 'UNINSTALL_INCOMPLETE',
      },
      async () => {
        const left = await labelledObjects(ctx.kube, extension);
        return left.length ? left.map(describeRef).join(', ') : null;
      },
    );
    return { message: `no object labelled for ${extension} remains` };
  });
  const installed = await installedControlPlane(ctx.kube, cp);
  return {
    kind: 'LIFECYCLE',
    controlPlaneVersion: installed.version,
    postcheck: { errors: 0, warnings: 0, summary: `${extension} removed; no object labelled for it remains` },
  };
}
