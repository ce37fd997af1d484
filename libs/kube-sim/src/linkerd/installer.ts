// A pre-installed Linkerd: everything a real install leaves behind, with freshly generated
// certificates, written through the cluster so the controllers treat it like an agent's install.
import type { SimCluster } from '../cluster/sim-cluster';
import { LinkerdScenario } from '../scenario/scenario.schema';
import { CertAndKey, createIssuer, createTrustAnchor, createWebhookCert, validity } from './certs';
import { controlPlaneObjects, linkerdCrds } from './control-plane';
import type { LinkerdIdentity } from './identity';
import { usesNativeSidecar } from './versions';

export async function installLinkerd(
  cluster: SimCluster,
  identity: LinkerdIdentity,
  spec: LinkerdScenario,
  sharedAnchor?: CertAndKey,
): Promise<void> {
  const ns = spec.namespace;
  const anchor = sharedAnchor ?? (await createTrustAnchor(validity(spec.trustAnchorValidityDays)));
  identity.anchors.set(ns, anchor);
  const issuer = spec.issuerExpired
    ? await createIssuer(anchor, validity(30, 60))
    : await createIssuer(anchor, validity(spec.issuerValidityDays));
  const webhook = (c: string) => createWebhookCert(`linkerd-${c}.${ns}.svc`, validity(365));
  const objects = [
    ...linkerdCrds(spec.version),
    ...controlPlaneObjects({
      version: spec.version,
      namespace: ns,
      ha: spec.ha,
      nativeSidecar: spec.nativeSidecar ?? usesNativeSidecar(spec.version),
      trustAnchorsPem: anchor.certPem,
      issuerCertPem: issuer.certPem,
      issuerKeyPem: issuer.keyPem,
      webhookCerts: {
        'proxy-injector': await webhook('proxy-injector'),
        'sp-validator': await webhook('sp-validator'),
        'policy-validator': await webhook('policy-validator'),
      },
    }),
  ];
  for (const o of objects) cluster.ensure(o);
  await identity.recheck(ns);
}
