// Certificate inventory for the health report: public facts only, never key material.
import type { CertificateEntry } from '@meshfleet/agent-protocol';
import { LIMITS } from '@meshfleet/agent-protocol';
import { DEFAULT_CONTROL_PLANE_NAMESPACE, DEFAULT_VIZ_NAMESPACE } from '../constants';
import type { ClusterSnapshot } from '../snapshot';
import { chainsToAny, type ParsedCertificate } from './certificate';
import {
  locateIssuer,
  locateTapCert,
  locateTrustAnchors,
  locateWebhookCerts,
  type CertificateSource,
} from './identity-material';

export interface InventoryOptions {
  controlPlaneNamespace?: string;
  vizNamespace?: string;
}

function entry(
  role: CertificateEntry['role'],
  name: string,
  source: CertificateSource,
  c: ParsedCertificate,
  chainsToAnchors: boolean | null,
): CertificateEntry {
  return {
    role,
    name: (name || c.subject || c.serialNumber).slice(0, LIMITS.shortString),
    source,
    subject: c.subject,
    issuer: c.issuer,
    serialNumber: c.serialNumber,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    keyAlgorithm: c.keyAlgorithm,
    signatureAlgorithm: c.signatureAlgorithm,
    isCA: c.isCA,
    dnsNames: c.dnsNames.slice(0, LIMITS.certificateDnsNames),
    sha256Fingerprint: c.sha256Fingerprint,
    chainsToAnchors,
  };
}

/**
 * Trust anchors (each PEM of the bundle), the issuer (first certificate of its secret, checked
 * against the anchors by signature) and serving certs of the webhooks and the viz tap API.
 */
export async function certificateInventory(
  snapshot: ClusterSnapshot,
  options: InventoryOptions = {},
): Promise<CertificateEntry[]> {
  const ns = options.controlPlaneNamespace ?? DEFAULT_CONTROL_PLANE_NAMESPACE;
  const out: CertificateEntry[] = [];
  const anchors = locateTrustAnchors(snapshot, ns);
  const anchorCerts = anchors?.parsed.certificates ?? [];
  for (const a of anchorCerts) out.push(entry('trust-anchor', a.commonName, anchors!.source, a, true));

  const issuer = locateIssuer(snapshot, ns);
  const issuerCert = issuer?.parsed.certificates[0];
  if (issuer && issuerCert) {
    out.push(
      entry(
        'issuer',
        issuerCert.commonName,
        issuer.source,
        issuerCert,
        await chainsToAny(issuerCert, anchorCerts),
      ),
    );
  }

  const serving = [...locateWebhookCerts(snapshot, ns)];
  const tap = locateTapCert(snapshot, options.vizNamespace ?? DEFAULT_VIZ_NAMESPACE);
  if (tap) serving.push(tap);
  for (const w of serving) {
    const c = w.parsed.certificates[0];
    if (c) out.push(entry('webhook', w.component, w.source, c, null));
  }
  return out.slice(0, LIMITS.certificates);
}
