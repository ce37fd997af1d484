// CRDs first (reference §3.1), then wait until the API server serves every one of them.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { ClusterOps } from '../../kube/cluster-ops';
import { errorMessage } from '../../util/errors';
import type { BundleObject } from './bundle-objects';
import { applyAll } from './apply';
import type { LifecycleContext } from './lifecycle-context';
import { waitFor } from './wait-for';

export async function applyCrds(ctx: LifecycleContext, crds: readonly BundleObject[]): Promise<string> {
  await applyAll(ctx.kube, crds);
  return `applied ${crds.length} CRDs`;
}

function established(crd: V1CustomResourceDefinition | null): boolean {
  return !!crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
}

export async function waitCrdsEstablished(
  ctx: LifecycleContext,
  crds: readonly BundleObject[],
): Promise<string> {
  await waitFor(
    ctx,
    { step: 'crds-established', what: 'CRDs to be Established', timeoutCode: 'CRDS_NOT_ESTABLISHED' },
    async () => {
      const pending = await notEstablished(ctx.kube, crds);
      return pending.length ? `not yet Established: ${pending.join(', ')}` : null;
    },
  );
  return `${crds.length} CRDs Established`;
}

async function notEstablished(ops: ClusterOps, crds: readonly BundleObject[]): Promise<string[]> {
  const current = await Promise.all(
    crds.map((c) =>
      ops
        .get<V1CustomResourceDefinition>({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          name: c.metadata.name,
        })
        .catch((e: unknown) => {
          throw new Error(`cannot read CRD ${c.metadata.name}: ${errorMessage(e)}`);
        }),
    ),
  );
  return crds.filter((_, i) => !established(current[i] ?? null)).map((c) => c.metadata.name);
}
