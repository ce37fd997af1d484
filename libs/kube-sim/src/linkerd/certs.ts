// Linkerd identity material, generated with @peculiar/x509 over WebCrypto: an ECDSA P-256
// trust anchor, an issuer (intermediate CA) it signs, and checks for the two ways an issuer
// breaks identity in practice: expiry and not being signed by the trust roots.
// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the polyfill.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface CertAndKey {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  certPem: string;
  keyPem: string;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.trim()}\n-----END PRIVATE KEY-----\n`;
}

const caExtensions = async (keys: CryptoKeyPair, pathLen?: number): Promise<x509.Extension[]> => [
  new x509.BasicConstraintsExtension(true, pathLen, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
];

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** `validityDays` from now; a negative start offset makes already-expired certificates. */
export function validity(days: number, startDaysAgo = 0): Validity {
  const notBefore = new Date(Date.now() - startDaysAgo * DAY - 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY) };
}

export async function createTrustAnchor(v: Validity, cn = 'root.linkerd.cluster.local'): Promise<CertAndKey> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${cn}`,
    keys,
    signingAlgorithm: SIGN,
    ...v,
    extensions: await caExtensions(keys),
  });
  return { cert, keys, certPem: cert.toString('pem') + '\n', keyPem: await pemKey(keys.privateKey) };
}

export async function createIssuer(
  anchor: CertAndKey,
  v: Validity,
  cn = 'identity.linkerd.cluster.local',
): Promise<CertAndKey> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${cn}`,
    issuer: anchor.cert.subject,
    publicKey: keys.publicKey,
    signingKey: anchor.keys.privateKey,
    signingAlgorithm: SIGN,
    ...v,
    extensions: [
      ...(await caExtensions(keys, 0)),
      await x509.AuthorityKeyIdentifierExtension.create(anchor.keys.publicKey),
    ],
  });
  return { cert, keys, certPem: cert.toString('pem') + '\n', keyPem: await pemKey(keys.privateKey) };
}

/** A self-signed leaf-ish certificate for the webhook secrets (SAN = service DNS name). */
export async function createWebhookCert(
  dnsName: string,
  v: Validity,
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${dnsName}`,
    keys,
    signingAlgorithm: SIGN,
    ...v,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: dnsName }])],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await pemKey(keys.privateKey) };
}

export function parsePemBundle(pem: string): x509.X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new x509.X509Certificate(b));
}

export type IssuerProblem =
  | 'missing'
  | 'unparsable'
  | 'expired'
  | 'not-yet-valid'
  | 'not-signed-by-trust-roots'
  | 'trust-anchor-expired';

/** Why the issuer cannot mint proxy certificates, or undefined when it can. */
export async function checkIssuer(
  issuerPem: string | undefined,
  rootsPem: string | undefined,
  now = new Date(),
): Promise<IssuerProblem | undefined> {
  if (!issuerPem || !rootsPem) return 'missing';
  let issuer: x509.X509Certificate | undefined;
  let roots: x509.X509Certificate[];
  try {
    issuer = parsePemBundle(issuerPem)[0];
    roots = parsePemBundle(rootsPem);
  } catch {
    return 'unparsable';
  }
  if (!issuer || roots.length === 0) return 'unparsable';
  if (issuer.notAfter.getTime() <= now.getTime()) return 'expired';
  if (issuer.notBefore.getTime() > now.getTime()) return 'not-yet-valid';
  let expiredSigner = false;
  for (const root of roots) {
    let signed = false;
    try {
      signed = await issuer.verify({ publicKey: root.publicKey, signatureOnly: true });
    } catch {
      // A root with another algorithm cannot have signed it; try the next.
    }
    if (!signed) continue;
    if (root.notAfter.getTime() > now.getTime() && root.notBefore.getTime() <= now.getTime())
      return undefined;
    expiredSigner = true;
  }
  return expiredSigner ? 'trust-anchor-expired' : 'not-signed-by-trust-roots';
}

/** A CA plus a serving certificate for the simulator's HTTPS listener (kubectl only sends tokens over TLS). */
export async function createServingCert(
  hosts: string[],
): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const ca = await createTrustAnchor(validity(3650), 'kube-sim-ca');
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=kube-apiserver',
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGN,
    ...validity(3650),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) =>
          /^[\d.]+$/.test(h) || h.includes(':')
            ? { type: 'ip' as const, value: h }
            : { type: 'dns' as const, value: h },
        ),
      ),
    ],
  });
  return { caPem: ca.certPem, certPem: cert.toString('pem') + '\n', keyPem: await pemKey(keys.privateKey) };
}
