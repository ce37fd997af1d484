// Serving certificates of the three admission webhooks. Re-used while they still chain to the
// caBundle the injector webhook advertises and have 60+ days left, so re-runs do not churn them;
// otherwise a fresh set from a throw-away CA made here (like `linkerd upgrade` regenerates them).
import type { V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import {
  DEFAULT_CERT_EXPIRY_WARNING_DAYS,
  isSignedBy,
  parseCertificatePem,
  PROXY_INJECTOR_WEBHOOK,
} from '@meshfleet/linkerd';
import type { ClusterOps } from '../../kube/cluster-ops';
import { certMatchesKey, createWebhookMaterial, type KeyedCert, type WebhookMaterial } from './agent-pki';

const SECRETS = {
  proxyInjector: 'linkerd-proxy-injector-k8s-tls',
  spValidator: 'linkerd-sp-validator-k8s-tls',
  policyValidator: 'linkerd-policy-validator-k8s-tls',
} as const;

export async function webhookMaterial(
  ops: ClusterOps,
  namespace: string,
): Promise<{ material: WebhookMaterial; reused: boolean }> {
  const existing = await existingMaterial(ops, namespace);
  if (existing && (await usable(existing))) return { material: existing, reused: true };
  return { material: await createWebhookMaterial(namespace), reused: false };
}

async function existingMaterial(ops: ClusterOps, namespace: string): Promise<WebhookMaterial | null> {
  const mwc = await ops.get<V1MutatingWebhookConfiguration>({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    name: PROXY_INJECTOR_WEBHOOK,
  });
  const caBundle = mwc?.webhooks?.[0]?.clientConfig.caBundle;
  if (!caBundle) return null;
  const certs: Partial<Record<keyof typeof SECRETS, KeyedCert>> = {};
  for (const [key, name] of Object.entries(SECRETS) as Array<[keyof typeof SECRETS, string]>) {
    const data = await ops.secretText(namespace, name);
    if (!data?.['tls.crt'] || !data['tls.key']) return null;
    certs[key] = { certPem: data['tls.crt'], keyPem: data['tls.key'] };
  }
  return {
    caPem: Buffer.from(caBundle, 'base64').toString('utf8'),
    proxyInjector: certs.proxyInjector!,
    spValidator: certs.spValidator!,
    policyValidator: certs.policyValidator!,
  };
}

async function usable(m: WebhookMaterial): Promise<boolean> {
  try {
    const ca = parseCertificatePem(m.caPem);
    const minEnd = Date.now() + DEFAULT_CERT_EXPIRY_WARNING_DAYS * 86_400_000;
    for (const c of [m.proxyInjector, m.spValidator, m.policyValidator]) {
      const cert = parseCertificatePem(c.certPem);
      if (cert.notAfter.getTime() < minEnd || !(await isSignedBy(cert, ca))) return false;
      if (!(await certMatchesKey(c.certPem, c.keyPem))) return false;
    }
    return ca.notAfter.getTime() >= minEnd;
  } catch {
    return false;
  }
}
