// Serving certificates of webhooks and API services: the CLI checks that the cert is parsable,
// time-valid, names the service's DNS name, and is trusted by the caBundle the API server uses.
import { parseCertificateBundle, isSignedBy, type ParsedCertificate } from '../certificates/certificate';
import type { LocatedServingCert } from '../certificates/identity-material';
import type { CheckContext } from './check-context';
import { expiringSoonReason, timeInvalidReason } from './cert-validity';
import { fail, ok, skip, type CheckDefinition, type CheckOutcome } from './check.types';

export interface ServingCertSpec {
  /** e.g. "proxy-injector webhook" → "proxy-injector webhook has valid cert". */
  validDescription: string;
  /** e.g. "proxy-injector cert" → "proxy-injector cert is valid for at least 60 days". */
  expiryDescription: string;
  validAnchor: string;
  expiryAnchor: string;
  /** Secret names tried in order, reported when none exists. */
  secretNames: readonly string[];
  /** Not installed → skip instead of fail (e.g. the policy validator). */
  optional: boolean;
  locate(ctx: CheckContext): LocatedServingCert | null;
  /** DNS name the API server dials. */
  dnsName(ctx: CheckContext): string;
  /**
   * Base64 caBundles that should trust the cert; null when the owning object is missing;
   * undefined when the agent cannot read that kind at all (trust is then not judged).
   */
  caBundles(ctx: CheckContext): string[] | null | undefined;
  caBundleOwner: string;
}

function decodeBundles(b64: string[]): ParsedCertificate[] {
  return b64.flatMap((b) => parseCertificateBundle(Buffer.from(b, 'base64').toString('utf8')).certificates);
}

async function validate(
  ctx: CheckContext,
  spec: ServingCertSpec,
  cert: ParsedCertificate,
): Promise<CheckOutcome> {
  const invalid = timeInvalidReason(cert, ctx.now);
  if (invalid) return fail(`certificate is ${invalid}`);
  const dns = spec.dnsName(ctx);
  if (!cert.dnsNames.includes(dns))
    return fail(`x509: certificate is valid for ${cert.dnsNames.join(', ') || 'no DNS names'}, not ${dns}`);
  const bundles = spec.caBundles(ctx);
  // What the agent may not read is not known: skip rather than fail or pass.
  if (bundles === undefined) return skip();
  if (bundles === null) return fail(`${spec.caBundleOwner} not found`);
  const cas = decodeBundles(bundles);
  for (const ca of cas) {
    if (ca.sha256Fingerprint === cert.sha256Fingerprint || (await isSignedBy(cert, ca))) return ok();
  }
  return fail(
    `x509: certificate signed by unknown authority (not trusted by the caBundle of ${spec.caBundleOwner})`,
  );
}

export function servingCertChecks(spec: ServingCertSpec, days: number): CheckDefinition[] {
  const certOf = (ctx: CheckContext) => spec.locate(ctx)?.parsed.certificates[0];
  return [
    {
      description: `${spec.validDescription} has valid cert`,
      hintAnchor: spec.validAnchor,
      fatal: true,
      run: (ctx) => {
        const located = spec.locate(ctx);
        if (!located) return spec.optional ? skip() : fail(`secrets "${spec.secretNames[0]}" not found`);
        const cert = located.parsed.certificates[0];
        if (!cert) return fail(`cannot parse the certificate: ${located.parsed.errors.join('; ')}`);
        return validate(ctx, spec, cert);
      },
    },
    {
      description: `${spec.expiryDescription} is valid for at least ${days} days`,
      hintAnchor: spec.expiryAnchor,
      warning: true,
      run: (ctx) => {
        const cert = certOf(ctx);
        if (!cert) return skip();
        const reason = expiringSoonReason(cert, ctx.now, days);
        return reason ? fail(`certificate ${reason}`) : ok();
      },
    },
  ];
}
