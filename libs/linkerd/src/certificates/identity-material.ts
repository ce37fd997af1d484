// Locates the mesh's certificates in a snapshot: trust anchors, issuer and serving certs.
// Shared by the inventory and the identity / webhook checks so both judge the same bytes.
import type { V1Secret } from '@kubernetes/client-node';
import type { CertificateEntry } from '@meshfleet/agent-protocol';
import { findConfigMap, findSecret, hasSecretKey, secretText } from '../cluster/objects';
import { parseLinkerdConfig } from '../cluster/linkerd-config';
import {
  DEFAULT_VIZ_NAMESPACE,
  ISSUER_SECRET,
  LINKERD_CONFIG_MAP,
  TRUST_ROOTS_CONFIG_MAP,
  TRUST_ROOTS_KEY,
  WEBHOOK_CERTS,
} from '../constants';
import type { ClusterSnapshot } from '../snapshot';
import { parseCertificateBundle, type BundleParse } from './certificate';

export type CertificateSource = CertificateEntry['source'];

export interface LocatedBundle {
  source: CertificateSource;
  /** The raw PEM text (public certificates only). */
  pem: string;
  parsed: BundleParse;
}

export interface LocatedServingCert extends LocatedBundle {
  component: string;
  secret: V1Secret;
}

/** Trust anchors: `linkerd-identity-trust-roots`, else the PEM inlined in `linkerd-config` values. */
export function locateTrustAnchors(s: ClusterSnapshot, ns: string): LocatedBundle | null {
  const cm = findConfigMap(s, ns, TRUST_ROOTS_CONFIG_MAP);
  const pem = cm?.data?.[TRUST_ROOTS_KEY];
  if (pem !== undefined) {
    const source = {
      kind: 'ConfigMap',
      namespace: ns,
      name: TRUST_ROOTS_CONFIG_MAP,
      key: TRUST_ROOTS_KEY,
    } as const;
    return { source, pem, parsed: parseCertificateBundle(pem) };
  }
  const config = findConfigMap(s, ns, LINKERD_CONFIG_MAP);
  const values = config ? parseLinkerdConfig(config) : null;
  const inline = values?.ok ? values.values.identityTrustAnchorsPEM : null;
  if (!inline) return null;
  const source = { kind: 'ConfigMap', namespace: ns, name: LINKERD_CONFIG_MAP, key: 'values' } as const;
  return { source, pem: inline, parsed: parseCertificateBundle(inline) };
}

/** Issuer certificate: `crt.pem` (scheme linkerd.io/tls) or `tls.crt` (kubernetes.io/tls). */
export function locateIssuer(s: ClusterSnapshot, ns: string): (LocatedBundle & { secret: V1Secret }) | null {
  const secret = findSecret(s, ns, ISSUER_SECRET);
  if (!secret) return null;
  const key = ['crt.pem', 'tls.crt'].find((k) => hasSecretKey(secret, k));
  if (!key) return null;
  const pem = secretText(secret, key) ?? '';
  return {
    source: { kind: 'Secret', namespace: ns, name: ISSUER_SECRET, key },
    pem,
    secret,
    parsed: parseCertificateBundle(pem),
  };
}

function locateServing(
  s: ClusterSnapshot,
  ns: string,
  component: string,
  secrets: readonly string[],
): LocatedServingCert | null {
  for (const name of secrets) {
    const secret = findSecret(s, ns, name);
    const key = ['tls.crt', 'crt.pem'].find((k) => hasSecretKey(secret, k));
    if (!secret || !key) continue;
    const pem = secretText(secret, key) ?? '';
    const source: CertificateSource = { kind: 'Secret', namespace: ns, name, key };
    return { component, secret, source, pem, parsed: parseCertificateBundle(pem) };
  }
  return null;
}

/** Webhook serving certs of the control plane; a component that is not installed is left out. */
export function locateWebhookCerts(s: ClusterSnapshot, ns: string): LocatedServingCert[] {
  return WEBHOOK_CERTS.map((w) => locateServing(s, ns, w.component, w.secrets)).filter(
    (c): c is LocatedServingCert => c !== null,
  );
}

/** The viz tap API server's serving cert. */
export function locateTapCert(s: ClusterSnapshot, vizNs = DEFAULT_VIZ_NAMESPACE): LocatedServingCert | null {
  return locateServing(s, vizNs, 'tap', ['tap-k8s-tls']);
}
