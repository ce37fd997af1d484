// Serving Secrets a bundle mounts but does not contain (real CLI/Helm renders, viz's tap and
// tap-injector): the agent makes them in the cluster, like `linkerd install` does on the client.
// A Secret already in the cluster is kept while it is valid for the Service, chains to its
// ca.crt and has 60+ days left; otherwise a new one from a throw-away CA. Either way the
// webhooks' and APIServices' caBundle is set to the CA that signed it.
// A Secret cert-manager issues (it carries cert-manager.io/ annotations) is never written: the
// caBundle comes from its ca.crt, or is left to cert-manager's cainjector where the client says
// `cert-manager.io/inject-ca-from`. Private keys only go into the Secret objects that are
// applied; messages name Secrets, never their data.
import type { V1Secret } from '@kubernetes/client-node';
import {
  ADDED_ON_IMPORT,
  DEFAULT_CERT_EXPIRY_WARNING_DAYS,
  isSignedBy,
  parseCertificatePem,
} from '@meshfleet/linkerd';
import type { ClusterOps } from '../../kube/cluster-ops';
import { certMatchesKey, createServingCa, issueServingCert, type ServingCa } from './agent-pki';
import type { BundleObject } from './bundle-objects';
import { lifecycleFailure } from './lifecycle-failure';
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
  /** Issued by cert-manager: read, never written. */
  external: string[];
}

/** Annotations cert-manager puts on the Secrets it issues and on clients cainjector patches. */
const CERT_MANAGER_PREFIX = 'cert-manager.io/';
const INJECT_CA_FROM = 'cert-manager.io/inject-ca-from';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export async function withServingSecrets(
  ops: ClusterOps,
  objects: readonly BundleObject[],
): Promise<ServingSecretsResult> {
  // Secrets an earlier import added to the bundle are the agent's to make, like any other.
  const own = objects.filter(
    (o) =>
      !(
        o.kind === 'Secret' &&
        (o.metadata as { annotations?: Record<string, string> }).annotations?.[ADDED_ON_IMPORT]
      ),
  );
  const needs = servingSecretsNeeded(own).filter((n) => !n.inBundle);
  let out = [...own];
  const created: string[] = [];
  const kept: string[] = [];
  const external: string[] = [];
  let ca: ServingCa | undefined;
  for (const need of needs) {
    const label = `${need.namespace}/${need.secretName}`;
    const current = await ops.get<V1Secret>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: need.namespace,
      name: need.secretName,
    });
    if (issuedByCertManager(current)) {
      external.push(label);
      out = withExternalCaBundle(out, need, current!);
      continue;
    }
    let material = await existingMaterial(current, need);
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
  return { objects: out, created, kept, external };
}

function issuedByCertManager(s: V1Secret | null): boolean {
  return Object.keys(s?.metadata?.annotations ?? {}).some((k) => k.startsWith(CERT_MANAGER_PREFIX));
}

const injectedByCainjector = (o: BundleObject): boolean =>
  !!(o.metadata as { annotations?: Record<string, string> }).annotations?.[INJECT_CA_FROM];

/** The clients trust the cert-manager Secret's ca.crt, or cainjector keeps their caBundle. */
function withExternalCaBundle(objects: BundleObject[], need: ServingSecretNeed, s: V1Secret): BundleObject[] {
  const clients = objects.filter((o) =>
    need.clients.some((c) => c.kind === o.kind && c.name === o.metadata.name),
  );
  if (clients.length > 0 && clients.every(injectedByCainjector)) {
    // Applying no caBundle leaves the field to cainjector, its other manager.
    return withCaBundle(objects, need, undefined);
  }
  const caBundle = s.data?.['ca.crt']; // base64 PEM, as a caBundle is
  if (!caBundle) {
    throw lifecycleFailure(
      'APPLY_FAILED',
      `Secret ${need.namespace}/${need.secretName} is issued by cert-manager without a ca.crt, and ` +
        `${need.clients.map((c) => `${c.kind} ${c.name}`).join(', ')} has no ${INJECT_CA_FROM} annotation: ` +
        'nothing says which CA to trust (issue it from a CA issuer, or annotate the webhook for cainjector)',
    );
  }
  return withCaBundle(objects, need, caBundle);
}

export function describeServingSecrets(r: ServingSecretsResult): string {
  const parts = [
    r.created.length ? `created serving Secrets ${r.created.join(', ')}` : '',
    r.kept.length ? `kept serving Secrets ${r.kept.join(', ')}` : '',
    r.external.length ? `left cert-manager's Secrets ${r.external.join(', ')} as they are` : '',
  ].filter(Boolean);
  return parts.join('; ');
}

async function existingMaterial(
  secret: V1Secret | null,
  need: ServingSecretNeed,
): Promise<ServingMaterial | null> {
  const data = Object.fromEntries(
    Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
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

/**
 * Copies of the clients with their caBundle replaced (base64), or removed when undefined; other
 * objects are passed through.
 */
function withCaBundle(
  objects: BundleObject[],
  need: ServingSecretNeed,
  caBundle: string | undefined,
): BundleObject[] {
  const set = (o: Record<string, unknown> | undefined): Record<string, unknown> => {
    const next: Record<string, unknown> = { ...o };
    if (caBundle === undefined) delete next['caBundle'];
    else next['caBundle'] = caBundle;
    return next;
  };
  return objects.map((o) => {
    const mine = need.clients.filter((c) => c.kind === o.kind && c.name === o.metadata.name);
    if (!mine.length) return o;
    if (o.kind === 'APIService') {
      const spec = set(o.spec as Record<string, unknown>);
      if (caBundle !== undefined) delete spec['insecureSkipTLSVerify'];
      return { ...o, spec };
    }
    const hooks = (o.webhooks ?? []) as Array<{ name: string; clientConfig?: Record<string, unknown> }>;
    return {
      ...o,
      webhooks: hooks.map((h) =>
        mine.some((c) => c.webhook === h.name) ? { ...h, clientConfig: set(h.clientConfig) } : h,
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
