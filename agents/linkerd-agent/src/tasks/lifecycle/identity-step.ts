// The "issuer" and "identity" steps shared by install and upgrade: which issuer and trust anchors
// the control plane gets, and the webhook serving certificates.
import type { z } from 'zod';
import type { IdentityParamsSchema } from '@meshfleet/agent-protocol';
import type { WebhookMaterial } from './agent-pki';
import type { IdentityInput } from './control-plane';
import {
  currentIssuer,
  currentTrustRoots,
  issueNewIssuer,
  issuerProblem,
  type IssuerMaterial,
} from './issuer';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import { runStep } from './step';
import { webhookMaterial } from './webhook-certs';

export type IdentityParams = z.infer<typeof IdentityParamsSchema>;

/**
 * Install: re-use a working issuer already in the namespace (a retried task), else a new one
 * signed by the API (MANAGED). EXTERNAL identity must already be in the cluster.
 * Upgrade (`reuseOnly`): never a new issuer; the one in the cluster must be valid.
 */
export async function issuerStep(
  ctx: LifecycleContext,
  namespace: string,
  identity: IdentityParams,
  reuseOnly: boolean,
): Promise<{ issuer: IssuerMaterial; trustAnchorsPem: string }> {
  let result: { issuer: IssuerMaterial; trustAnchorsPem: string } | undefined;
  await runStep(ctx, 'issuer', 'IDENTITY_MATERIAL_INVALID', async () => {
    const existing = await currentIssuer(ctx.kube, namespace);
    const anchors = identity.trustAnchorsPem ?? (await currentTrustRoots(ctx.kube, namespace));
    const problem =
      existing && anchors
        ? await issuerProblem(existing, anchors, { minDays: 1 })
        : 'no issuer Secret and trust roots in the cluster';
    if (existing && anchors && !problem) {
      result = { issuer: existing, trustAnchorsPem: anchors };
      return { skipped: true, message: 'using the issuer already in the cluster' };
    }
    if (reuseOnly || identity.mode === 'EXTERNAL') {
      throw lifecycleFailure(
        'IDENTITY_MATERIAL_INVALID',
        `the cluster's identity issuer cannot be used (${problem}); ${
          identity.mode === 'EXTERNAL' ? 'fix the external CA' : 'rotate the issuer first'
        }`,
      );
    }
    const { issuer, signed } = await issueNewIssuer(ctx, identity.trustDomain);
    const trustAnchorsPem = identity.trustAnchorsPem ?? signed.trustAnchorsPem;
    const chainProblem = await issuerProblem(issuer, trustAnchorsPem);
    if (chainProblem) {
      throw lifecycleFailure(
        'IDENTITY_MATERIAL_INVALID',
        `the task's trust anchors do not accept the new issuer: ${chainProblem}`,
      );
    }
    result = { issuer, trustAnchorsPem };
    return { message: `new issuer signed by the API, valid until ${signed.notAfter}` };
  });
  return result!;
}

export async function identityStep(
  ctx: LifecycleContext,
  namespace: string,
  trustDomain: string,
  issuer: { issuer: IssuerMaterial; trustAnchorsPem: string },
): Promise<IdentityInput> {
  let webhooks: WebhookMaterial | undefined;
  await runStep(ctx, 'identity', 'IDENTITY_MATERIAL_INVALID', async () => {
    const w = await webhookMaterial(ctx.kube, namespace);
    webhooks = w.material;
    return {
      message: w.reused ? 'webhook certificates re-used' : 'new webhook certificates generated in the agent',
    };
  });
  return { trustDomain, trustAnchorsPem: issuer.trustAnchorsPem, issuer: issuer.issuer, webhooks: webhooks! };
}
