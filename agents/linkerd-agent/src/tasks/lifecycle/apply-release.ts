// The part install and upgrade share: CRDs → Established → issuer → identity → control plane →
// rollout. Upgrades keep the issuer that is in the cluster.
import type { ReleaseBundlesResponse } from '@meshfleet/agent-protocol';
import { bundleObjects, type BundleObject } from './bundle-objects';
import { renderControlPlane, applyControlPlane } from './control-plane';
import { applyCrds, waitCrdsEstablished } from './crds';
import { identityStep, issuerStep, type IdentityParams } from './identity-step';
import type { LifecycleContext } from './lifecycle-context';
import { waitControlPlaneRollout } from './rollout';
import { runStep } from './step';

export interface ApplyReleaseInput {
  namespace: string;
  bundles: ReleaseBundlesResponse;
  identity: IdentityParams;
  /** Upgrade: never make a new issuer. */
  keepIssuer: boolean;
}

export async function applyRelease(ctx: LifecycleContext, input: ApplyReleaseInput): Promise<void> {
  const { namespace, bundles } = input;
  const crds = bundleObjects(bundles.crds.yaml, namespace);
  await runStep(ctx, 'crds', 'APPLY_FAILED', async () => ({ message: await applyCrds(ctx, crds) }));
  await runStep(ctx, 'crds-established', 'CRDS_NOT_ESTABLISHED', async () => ({
    message: await waitCrdsEstablished(ctx, crds),
  }));
  const issuer = await issuerStep(ctx, namespace, input.identity, input.keepIssuer);
  const identity = await identityStep(ctx, namespace, input.identity.trustDomain, issuer);
  let objects: BundleObject[] = [];
  await runStep(ctx, 'control-plane', 'APPLY_FAILED', async () => {
    objects = renderControlPlane(bundles.controlPlane.yaml, namespace, identity);
    return { message: await applyControlPlane(ctx, objects) };
  });
  await runStep(ctx, 'rollout', 'ROLLOUT_TIMEOUT', async () => ({
    message: await waitControlPlaneRollout(ctx, objects),
  }));
}
