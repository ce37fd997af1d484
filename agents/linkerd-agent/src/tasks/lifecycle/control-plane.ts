// The control-plane bundle with this cluster's identity filled in, applied by server-side apply.
import { fillPlaceholders, type PlaceholderValues } from '@meshfleet/linkerd';
import { errorMessage } from '../../util/errors';
import type { WebhookMaterial } from './agent-pki';
import { applyAll } from './apply';
import { bundleObjects, type BundleObject } from './bundle-objects';
import type { IssuerMaterial } from './issuer';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import { pruneStaleContainers } from './stale-containers';
import { describeServingSecrets, withServingSecrets } from './webhook-serving-secrets';

export interface IdentityInput {
  trustDomain: string;
  trustAnchorsPem: string;
  issuer: IssuerMaterial;
  webhooks: WebhookMaterial;
}

export function placeholderValues(i: IdentityInput): PlaceholderValues {
  return {
    trustAnchorsPEM: i.trustAnchorsPem,
    trustDomain: i.trustDomain,
    issuerCertPEM: i.issuer.certPem,
    issuerKeyPEM: i.issuer.keyPem,
    webhookCaPEM: i.webhooks.caPem,
    proxyInjectorCertPEM: i.webhooks.proxyInjector.certPem,
    proxyInjectorKeyPEM: i.webhooks.proxyInjector.keyPem,
    spValidatorCertPEM: i.webhooks.spValidator.certPem,
    spValidatorKeyPEM: i.webhooks.spValidator.keyPem,
    policyValidatorCertPEM: i.webhooks.policyValidator.certPem,
    policyValidatorKeyPEM: i.webhooks.policyValidator.keyPem,
  };
}

/** Filled objects; the filled text holds private keys, so it never leaves this function's caller. */
export function renderControlPlane(yaml: string, namespace: string, identity: IdentityInput): BundleObject[] {
  let filled: string;
  try {
    filled = fillPlaceholders(yaml, placeholderValues(identity));
  } catch (e) {
    throw lifecycleFailure('APPLY_FAILED', `cannot fill the control-plane bundle: ${errorMessage(e)}`);
  }
  return bundleObjects(filled, namespace);
}

/** Applies the objects plus the serving Secrets they mount but do not contain. */
export async function applyControlPlane(
  ctx: LifecycleContext,
  bundle: readonly BundleObject[],
): Promise<string> {
  const serving = await withServingSecrets(ctx.kube, bundle);
  const objects = serving.objects;
  await applyAll(ctx.kube, objects);
  await ctx.desired?.record(objects);
  // Apply never drops containers another field manager added (an install made without Meshfleet).
  const pruned = await pruneStaleContainers(ctx.kube, objects);
  const notes = [
    describeServingSecrets(serving),
    pruned.length ? `removed containers the release no longer has: ${pruned.join('; ')}` : '',
  ].filter(Boolean);
  return `applied ${objects.length} objects${notes.map((n) => `; ${n}`).join('')}`;
}
