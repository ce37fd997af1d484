// Waits until every Deployment of the control plane has rolled out: the new generation observed,
// every replica updated and available, and no old replicas left.
import type { V1Deployment } from '@kubernetes/client-node';
import type { BundleObject } from './bundle-objects';
import type { LifecycleContext } from './lifecycle-context';
import { waitFor } from './wait-for';

export function deploymentPending(d: V1Deployment | null): string | null {
  if (!d) return 'missing';
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return 'new generation not observed';
  if ((s.updatedReplicas ?? 0) < want) return `${s.updatedReplicas ?? 0}/${want} updated`;
  if ((s.replicas ?? 0) > want) return `${(s.replicas ?? 0) - want} old replicas remain`;
  if ((s.availableReplicas ?? 0) < want) return `${s.availableReplicas ?? 0}/${want} available`;
  return null;
}

export async function waitControlPlaneRollout(
  ctx: LifecycleContext,
  objects: readonly BundleObject[],
): Promise<string> {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  await waitFor(
    ctx,
    { step: 'rollout', what: 'control-plane Deployments to be available', timeoutCode: 'ROLLOUT_TIMEOUT' },
    async () => {
      const states = await Promise.all(
        deployments.map(async (o) => {
          const d = await ctx.kube.get<V1Deployment>({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            namespace: o.metadata.namespace!,
            name: o.metadata.name,
          });
          const pending = deploymentPending(d);
          return pending ? `${o.metadata.name} ${pending}` : null;
        }),
      );
      const pending = states.filter((s): s is string => s !== null);
      return pending.length ? pending.join('; ') : null;
    },
  );
  return `${deployments.length} Deployments available`;
}
