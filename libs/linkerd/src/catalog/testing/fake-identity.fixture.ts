// Fake identity material: PEM-shaped text (not real keys) that an import must never keep.
import type { PlaceholderValues } from '../placeholders';

const fakePem = (type: string, seed: string): string =>
  `-----BEGIN ${type}-----\n${Buffer.from(`${seed}-`.repeat(40))
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END ${type}-----\n`;

export const FAKE_IDENTITY: Required<PlaceholderValues> = {
  trustAnchorsPEM: fakePem('CERTIFICATE', 'root.linkerd.cluster.local'),
  trustDomain: 'cluster.local',
  issuerCertPEM: fakePem('CERTIFICATE', 'identity.linkerd.cluster.local'),
  issuerKeyPEM: fakePem('EC PRIVATE KEY', 'issuer-key'),
  webhookCaPEM: fakePem('CERTIFICATE', 'webhook-ca'),
  proxyInjectorCertPEM: fakePem('CERTIFICATE', 'linkerd-proxy-injector.linkerd.svc'),
  proxyInjectorKeyPEM: fakePem('RSA PRIVATE KEY', 'injector-key'),
  spValidatorCertPEM: fakePem('CERTIFICATE', 'linkerd-sp-validator.linkerd.svc'),
  spValidatorKeyPEM: fakePem('RSA PRIVATE KEY', 'sp-key'),
  policyValidatorCertPEM: fakePem('CERTIFICATE', 'linkerd-policy-validator.linkerd.svc'),
  policyValidatorKeyPEM: fakePem('PRIVATE KEY', 'policy-key'),
};

/** Every fake PEM body line that must not survive an import. */
export const FAKE_PEM_LINES: string[] = Object.values(FAKE_IDENTITY)
  .filter((v) => v.includes('-----BEGIN'))
  .map((pem) => pem.split('\n')[1] ?? '');
