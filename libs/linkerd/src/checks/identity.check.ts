// linkerd-identity: trust anchors and issuer (reference §2.2, §3.6). A problem here is what
// takes meshes down (an expired issuer stops new proxy certificates within 24 h).
import { hasSecretKey } from '../cluster/objects';
import { chainsToAny, type ParsedCertificate } from '../certificates/certificate';
import type { CheckContext } from './check-context';
import {
  anchorAlgorithmError,
  describeCert,
  expiringSoonReason,
  issuerAlgorithmError,
  timeInvalidReason,
} from './cert-validity';
import { bulletList, fail, ok, type CategoryDefinition, type CheckOutcome } from './check.types';

const ISSUER_KEYS = {
  'linkerd.io/tls': ['crt.pem', 'key.pem'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key', 'ca.crt'],
};

function anchors(ctx: CheckContext): ParsedCertificate[] {
  return ctx.anchors?.parsed.certificates ?? [];
}

function issuer(ctx: CheckContext): ParsedCertificate | undefined {
  return ctx.issuer?.parsed.certificates[0];
}

function eachAnchor(
  ctx: CheckContext,
  title: string,
  reason: (c: ParsedCertificate) => string | null,
): CheckOutcome {
  const bad = anchors(ctx).flatMap((c) => {
    const r = reason(c);
    return r ? [`${describeCert(c)} ${r}`] : [];
  });
  return bad.length ? fail(`${title}:\n${bulletList(bad)}`) : ok();
}

function certConfigError(ctx: CheckContext): string | null {
  const scheme = ctx.config?.issuerScheme ?? 'linkerd.io/tls';
  if (!ctx.anchors) return 'no trust anchors found (linkerd-identity-trust-roots or identityTrustAnchorsPEM)';
  if (ctx.anchors.parsed.errors.length)
    return `trust anchors cannot be parsed: ${ctx.anchors.parsed.errors.join('; ')}`;
  if (!ctx.issuer)
    return `issuer secret "linkerd-identity-issuer" not found or has no certificate (scheme ${scheme})`;
  const absent = ISSUER_KEYS[scheme].filter((k) => !hasSecretKey(ctx.issuer!.secret, k));
  if (absent.length)
    return `key ${absent.join(', ')} containing the issuer credentials needs to exist in secret linkerd-identity-issuer if --identity-external-issuer=${scheme === 'kubernetes.io/tls'}`;
  if (ctx.issuer.parsed.errors.length)
    return `issuer certificate cannot be parsed: ${ctx.issuer.parsed.errors.join('; ')}`;
  return null;
}

export const identityCategory: CategoryDefinition = {
  name: 'linkerd-identity',
  checks: (ctx) => {
    const days = ctx.options.certExpiryWarningDays;
    return [
      {
        description: 'certificate config is valid',
        hintAnchor: 'l5d-identity-cert-config-valid',
        fatal: true,
        run: () => {
          const error = certConfigError(ctx);
          return error ? fail(error) : ok();
        },
      },
      {
        description: 'trust anchors are using supported crypto algorithm',
        hintAnchor: 'l5d-identity-trustAnchors-use-supported-crypto',
        fatal: true,
        run: () => eachAnchor(ctx, 'Invalid trustAnchors', anchorAlgorithmError),
      },
      {
        description: 'trust anchors are within their validity period',
        hintAnchor: 'l5d-identity-trustAnchors-are-time-valid',
        fatal: true,
        run: () => eachAnchor(ctx, 'Invalid anchors', (c) => timeInvalidReason(c, ctx.now)),
      },
      {
        description: `trust anchors are valid for at least ${days} days`,
        hintAnchor: 'l5d-identity-trustAnchors-not-expiring-soon',
        warning: true,
        run: () => eachAnchor(ctx, 'Anchors expiring soon', (c) => expiringSoonReason(c, ctx.now, days)),
      },
      {
        description: 'issuer cert is using supported crypto algorithm',
        hintAnchor: 'l5d-identity-issuer-cert-uses-supported-crypto',
        fatal: true,
        run: () => {
          const c = issuer(ctx)!;
          const error =
            issuerAlgorithmError(c) ??
            (c.isCA ? null : 'issuer certificate must be a CA (basicConstraints CA:TRUE)');
          return error ? fail(error) : ok();
        },
      },
      {
        description: 'issuer cert is within its validity period',
        hintAnchor: 'l5d-identity-issuer-cert-is-time-valid',
        fatal: true,
        run: () => {
          const reason = timeInvalidReason(issuer(ctx)!, ctx.now);
          return reason ? fail(`issuer certificate is ${reason}`) : ok();
        },
      },
      {
        description: `issuer cert is valid for at least ${days} days`,
        hintAnchor: 'l5d-identity-issuer-cert-not-expiring-soon',
        warning: true,
        run: () => {
          const reason = expiringSoonReason(issuer(ctx)!, ctx.now, days);
          return reason ? fail(`issuer certificate ${reason}`) : ok();
        },
      },
      {
        description: 'issuer cert is issued by the trust anchor',
        hintAnchor: 'l5d-identity-issuer-cert-issued-by-trust-anchor',
        run: async () =>
          (await chainsToAny(issuer(ctx)!, anchors(ctx)))
            ? ok()
            : fail(
                'x509: certificate signed by unknown authority (the issuer does not verify against any trust anchor)',
              ),
      },
    ];
  },
};
