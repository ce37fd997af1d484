// Certificate faults and rotations on a control plane's identity objects. Each writes through
// the cluster, then waits for the identity controller's verdict on the result.
import { stringify, parse } from 'yaml';
import type { SimCluster } from '../cluster/sim-cluster';
import { KubeError } from '../api/kube-error';
import { createIssuer, createTrustAnchor, validity } from './certs';
import { ISSUER_SECRET, type LinkerdIdentity, TRUST_ROOTS } from './identity';

export type IssuerFault = 'expire' | 'mismatch' | 'corrupt';

/** An expired issuer signed by the real anchor, one from a foreign anchor, or an unparsable one. */
export async function breakIssuer(
  cluster: SimCluster,
  identity: LinkerdIdentity,
  kind: IssuerFault,
  ns: string,
): Promise<void> {
  const secrets = cluster.type('', 'secrets');
  const secret = cluster.objects.find(secrets, ns, ISSUER_SECRET);
  if (!secret) throw new KubeError('NotFound', `secrets "${ISSUER_SECRET}" not found in ${ns}`);
  let crt: string;
  let key: string;
  if (kind === 'corrupt') {
    crt = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
    key = 'garbage';
  } else {
    const anchor =
      kind === 'expire'
        ? (identity.anchors.get(ns) ?? (await createTrustAnchor(validity(365, 400))))
        : await createTrustAnchor(validity(365));
    const issuer = await createIssuer(anchor, kind === 'expire' ? validity(30, 60) : validity(365));
    crt = issuer.certPem;
    key = issuer.keyPem;
  }
  cluster.objects.writeObject(secrets, {
    ...secret,
    data: {
      ...(secret['data'] as object),
      'crt.pem': Buffer.from(crt).toString('base64'),
      'key.pem': Buffer.from(key).toString('base64'),
    },
  });
  await identity.recheck(ns);
}

/** Issues a fresh, valid issuer from the anchor the simulator generated. */
export async function rotateIssuer(
  cluster: SimCluster,
  identity: LinkerdIdentity,
  ns: string,
  validityDays: number,
): Promise<void> {
  const anchor = identity.anchors.get(ns);
  if (!anchor) throw new KubeError('NotFound', `no simulator-generated trust anchor for ${ns}`);
  const issuer = await createIssuer(anchor, validity(validityDays));
  const secrets = cluster.type('', 'secrets');
  const secret = cluster.objects.get(secrets, ns, ISSUER_SECRET);
  cluster.objects.writeObject(secrets, {
    ...secret,
    data: {
      'crt.pem': Buffer.from(issuer.certPem).toString('base64'),
      'key.pem': Buffer.from(issuer.keyPem).toString('base64'),
    },
  });
  await identity.recheck(ns);
}

/**
 * Replaces the trust anchor (and issues a matching issuer), as a rotation or a botched one
 * would: linkerd-identity-trust-roots, linkerd-config and the issuer secret change; running
 * pods keep the old anchor in their env until restarted. `expired` makes the new anchor
 * already expired.
 */
export async function rotateTrustAnchor(
  cluster: SimCluster,
  identity: LinkerdIdentity,
  ns: string,
  opts: { expired?: boolean; validityDays?: number },
): Promise<void> {
  const anchor = await createTrustAnchor(
    opts.expired ? validity(30, 60) : validity(opts.validityDays ?? 365),
  );
  const issuer = await createIssuer(
    anchor,
    // An expired anchor keeps a still-valid issuer, so the anchor is the only problem.
    opts.expired ? validity(365, 60) : validity(Math.min(opts.validityDays ?? 365, 365)),
  );
  identity.anchors.set(ns, anchor);
  const configmaps = cluster.type('', 'configmaps');
  const roots = cluster.objects.get(configmaps, ns, TRUST_ROOTS);
  cluster.objects.writeObject(configmaps, { ...roots, data: { 'ca-bundle.crt': anchor.certPem } });
  const config = cluster.objects.find(configmaps, ns, 'linkerd-config');
  if (config) {
    const values = (parse((config['data'] as Record<string, string>)['values'] ?? '{}') ?? {}) as Record<
      string,
      unknown
    >;
    const current = (values['identity'] ?? {}) as { issuer?: { tls?: Record<string, unknown> } };
    values['identityTrustAnchorsPEM'] = anchor.certPem;
    values['identity'] = {
      ...current,
      issuer: { ...current.issuer, tls: { ...current.issuer?.tls, crtPEM: issuer.certPem } },
    };
    cluster.objects.writeObject(configmaps, {
      ...config,
      data: { ...(config['data'] as object), values: stringify(values) },
    });
  }
  const secrets = cluster.type('', 'secrets');
  const secret = cluster.objects.get(secrets, ns, ISSUER_SECRET);
  cluster.objects.writeObject(secrets, {
    ...secret,
    data: {
      'crt.pem': Buffer.from(issuer.certPem).toString('base64'),
      'key.pem': Buffer.from(issuer.keyPem).toString('base64'),
    },
  });
  await identity.recheck(ns);
}
