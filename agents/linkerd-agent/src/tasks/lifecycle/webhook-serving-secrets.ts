// Serving Secrets a bundle mounts but does not contain (real CLI/Helm renders, viz's tap and
// tap-injector): the agent makes them in the cluster, like `linkerd install` does on the client.
// A Secret already in the cluster is kept while it is valid for the Service, chains to its
// ca.crt and has 60+ days left; otherwise a new one from a throw-away CA. Either way the
// webhooks' and APIServices' caBundle is set to the CA that signed it. Private keys only go
// into the Secret objects that are applied; messages name Secrets, never their data.
import { DEFAULT_CERT_EXPIRY_WARNING_DAYS, isSignedBy, parseCertificatePem } from '@meshfleet/linkerd';
import type { ClusterOps } from '../../kube/cluster-ops';
import { certMatchesKey, createServingCa, issueServingCert, type ServingCa } from './agent-pki';
import type { BundleObject } from './bundle-objects';
import { servingSecretsNeeded, type ServingSecretNeed } from './serving-secrets';

interface ServingMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface ServingSecretsResult {
  /** The bundle objects with the Secrets added and the caBundles set. */
  objects: BundleObject[];
  created: string[];
  kept: string[];
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export async function withServingSecrets(
  ops: ClusterOps,
  objects: readonly BundleObject[],
): Promise<ServingSecretsResult> {
  const needs = servingSecretsNeeded(objects).filter((n) => !n.inBundle);
  let out = [...objects];
  const created: string[] = [];
  const kept: string[] = [];
  let ca: ServingCa | undefined;
  for (const need of needs) {
    const label = `${need.namespace}/${need.secretName}`;
    let material = await existingMaterial(ops, need);
    if (material) kept.push(label);
    else {
      ca ??= await createServingCa('serving.meshfleet-agent');
      const cert = await issueServingCert(ca, need.dnsNames);
      material = { caPem: ca.cert.toString('pem'), ...cert };
      created.push(label);
    }
    out = withCaBundle(out, need, b64(material.caPem));
    out = insertAfterNamespace(out, secretObject(need, material));
  }
  return { objects: out, created, kept };
}

export function describeServingSecrets(r: ServingSecretsResult): string {
  const parts = [
    r.created.length ? `created serving Secrets ${r.created.join(', ')}` : '',
    r.kept.length ? `kept serving Secrets ${r.kept.join(', ')}` : '',
  ].filter(Boolean);
  return parts.join('; ');
}

async function existingMaterial(ops: ClusterOps, need: ServingSecretNeed): Promise<ServingMaterial | null> {
  const data = await ops.secretText(need.namespace, need.secretName);
  const certPem = data?.['tls.crt'];
  const keyPem = data?.['tls.key'];
  const caPem = data?.['ca.crt'];
  if (!certPem || !keyPem || !caPem) return null;
  try {
    const cert = parseCertificatePem(certPem);
    const caCert = parseCertificatePem(caPem);
    const minEnd = Date.now() + DEFAULT_CERT_EXPIRY_WARNING_DAYS * 86_400_000;
    const valid =
      cert.notAfter.getTime() >= minEnd &&
      caCert.notAfter.getTime() >= minEnd &&
      need.dnsNames.every((d) => cert.dnsNames.includes(d)) &&
      (await isSignedBy(cert, caCert)) &&
      (await certMatchesKey(certPem, keyPem));
    return valid ? { caPem, certPem, keyPem } : null;
  } catch {
    return null;
  }
}

function secretObject(need: ServingSecretNeed, m: ServingMaterial): BundleObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: need.secretName, namespace: need.namespace, labels: need.labels },
    type: 'kubernetes.io/tls',
    // ca.crt as cert-manager writes it: the caBundle is re-derived from it on the next run.
    data: { 'tls.crt': b64(m.certPem), 'tls.key': b64(m.keyPem), 'ca.crt': b64(m.caPem) },
  };
}

/** Copies of the clients with their caBundle replaced; other objects are passed through. */
function withCaBundle(objects: BundleObject[], need: ServingSecretNeed, caBundle: string): BundleObject[] {
  return objects.map((o) => {
    const mine = need.clients.filter((c) => c.kind === o.kind && c.name === o.metadata.name);
    if (!mine.length) return o;
    if (o.kind === 'APIService') {
      const spec: Record<string, unknown> = { ...(o.spec as Record<string, unknown>), caBundle };
      delete spec.insecureSkipTLSVerify;
      return { ...o, spec };
    }
    const hooks = (o.webhooks ?? []) as Array<{ name: string; clientConfig?: Record<string, unknown> }>;
    return {
      ...o,
      webhooks: hooks.map((h) =>
        mine.some((c) => c.webhook === h.name) ? { ...h, clientConfig: { ...h.clientConfig, caBundle } } : h,
      ),
    };
  });
}

// Before the workloads that mount it: right after its Namespace, else first.
function insertAfterNamespace(objects: BundleObject[], secret: BundleObject): BundleObject[] {
  const ns = objects.findIndex(
    (o) => o.kind === 'Namespace' && o.metadata.name === secret.metadata.namespace,
  );
  return [...objects.slice(0, ns + 1), secret, ...objects.slice(ns + 1)];
}
