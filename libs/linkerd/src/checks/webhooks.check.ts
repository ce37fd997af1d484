// linkerd-webhooks-and-apisvc-tls: serving certs of the injector and validators (reference §2.2).
import { locateWebhookCerts } from '../certificates/identity-material';
import { WEBHOOK_CERTS, type WebhookCertSpec } from '../constants';
import type { CheckContext } from './check-context';
import type { CategoryDefinition } from './check.types';
import { servingCertChecks } from './serving-cert';

function caBundles(ctx: CheckContext, w: WebhookCertSpec): string[] | null {
  const configs =
    w.webhook.kind === 'mutating' ? ctx.snapshot.mutatingWebhooks : ctx.snapshot.validatingWebhooks;
  const config = configs.find((c) => c.metadata?.name === w.webhook.name);
  if (!config) return null;
  return (config.webhooks ?? []).map((h) => h.clientConfig.caBundle).filter((b): b is string => !!b);
}

export const webhooksCategory: CategoryDefinition = {
  name: 'linkerd-webhooks-and-apisvc-tls',
  checks: (ctx) =>
    WEBHOOK_CERTS.flatMap((w) =>
      servingCertChecks(
        {
          validDescription: `${w.component} webhook`,
          expiryDescription: `${w.component} cert`,
          validAnchor: `l5d-${w.component}-webhook-cert-valid`,
          expiryAnchor: `l5d-${w.component}-webhook-cert-not-expiring-soon`,
          secretNames: w.secrets,
          // The policy validator only exists in newer releases; the CLI skips it when absent.
          optional: w.component === 'policy-validator',
          locate: (c) =>
            locateWebhookCerts(c.snapshot, c.cpNs).find((x) => x.component === w.component) ?? null,
          dnsName: (c) => `${w.service}.${c.cpNs}.svc`,
          caBundles: (c) => caBundles(c, w),
          caBundleOwner: `${w.webhook.kind === 'mutating' ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration'} ${w.webhook.name}`,
        },
        ctx.options.certExpiryWarningDays,
      ),
    ),
};
