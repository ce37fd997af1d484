// Key material the agent makes inside the cluster: the issuer key pair and its CSR (the API signs
// it), and small throw-away CAs for webhook and APIService serving certificates. Private keys stay in memory
// until they are written to Secrets in the cluster; they are never logged or sent out.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
export const WEBHOOK_CERT_DAYS = 365;

export interface KeyedCert {
  certPem: string;
  keyPem: string;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

export function issuerSubject(trustDomain: string): string {
  return `CN=identity.linkerd.${trustDomain}`;
}

/** ECDSA P-256 issuer key and a CSR for CN=identity.linkerd.<trustDomain>. */
export async function createIssuerRequest(trustDomain: string): Promise<{ csrPem: string; keyPem: string }> {
  const keys = await keyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: issuerSubject(trustDomain),
    keys,
    signingAlgorithm: SIGN,
  });
  return { csrPem: csr.toString('pem'), keyPem: await pkcs8Pem(keys.privateKey) };
}

/** True when the certificate carries the public key of the PKCS#8 private key. */
export async function certMatchesKey(certPem: string, keyPem: string): Promise<boolean> {
  try {
    const cert = new x509.X509Certificate(certPem);
    const key = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPem), EC, true, [
      'sign',
    ]);
    const jwk = await webcrypto.subtle.exportKey('jwk', key);
    const pub = await webcrypto.subtle.exportKey('jwk', await cert.publicKey.export(EC, ['verify']));
    return jwk.x === pub.x && jwk.y === pub.y;
  } catch {
    return false;
  }
}

export interface WebhookMaterial {
  caPem: string;
  proxyInjector: KeyedCert;
  spValidator: KeyedCert;
  policyValidator: KeyedCert;
}

/** A CA that lives for one run: its key signs serving certs and is then dropped. */
export interface ServingCa {
  cert: x509.X509Certificate;
  key: webcrypto.CryptoKey;
  notAfter: Date;
}

export async function createServingCa(commonName: string): Promise<ServingCa> {
  const keys = await keyPair();
  const notAfter = new Date(Date.now() + WEBHOOK_CERT_DAYS * DAY_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter,
    keys,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  return { cert, key: keys.privateKey, notAfter };
}

/** A serverAuth cert for the DNS names (the first is the CN), valid as long as the CA. */
export async function issueServingCert(ca: ServingCa, dnsNames: readonly string[]): Promise<KeyedCert> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${dnsNames[0]}`,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: ca.notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await pkcs8Pem(keys.privateKey) };
}

/** A throw-away CA (its key is dropped) and serving certs for linkerd-<component>.<ns>.svc. */
export async function createWebhookMaterial(namespace: string): Promise<WebhookMaterial> {
  const ca = await createServingCa(`webhook.linkerd.${namespace}.meshfleet`);
  const svc = (c: string) => [`linkerd-${c}.${namespace}.svc`];
  return {
    caPem: ca.cert.toString('pem'),
    proxyInjector: await issueServingCert(ca, svc('proxy-injector')),
    spValidator: await issueServingCert(ca, svc('sp-validator')),
    policyValidator: await issueServingCert(ca, svc('policy-validator')),
  };
}
