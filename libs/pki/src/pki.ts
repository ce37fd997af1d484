// The fleet PKI with a maintained X.509 library (@peculiar/x509 over WebCrypto): trust anchors
// (self-signed ECDSA P-256 roots) and issuer certificates signed from CSRs made in the cluster.
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ValidationError } from '@meshfleet/core';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface IssuedCertificate {
  certPem: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  sha256Fingerprint: string;
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // positive INTEGER
  return Buffer.from(bytes).toString('hex');
}

function fingerprint(cert: x509.X509Certificate): string {
  return createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex');
}

export function anchorCommonName(trustDomain: string): string {
  return `root.linkerd.${trustDomain}`;
}

export function issuerCommonName(trustDomain: string): string {
  return `identity.linkerd.${trustDomain}`;
}

/** A new trust anchor: self-signed ECDSA P-256 root CA. Returns the key as PKCS#8 PEM to seal. */
export async function createTrustAnchor(
  trustDomain: string,
  validityDays: number,
  now = new Date(),
): Promise<IssuedCertificate & { keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + validityDays * DAY_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${anchorCommonName(trustDomain)}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certPem: cert.toString('pem'),
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    sha256Fingerprint: fingerprint(cert),
  };
}

/**
 * Signs an issuer (intermediate CA) from a CSR generated in the cluster. The CSR must be valid,
 * ECDSA P-256, and name identity.linkerd.<trustDomain>; the result is CA:true with path length 0.
 */
export async function signIssuerCsr(input: {
  csrPem: string;
  trustDomain: string;
  anchorCertPem: string;
  anchorKeyPem: string;
  validityDays: number;
  now?: Date;
}): Promise<IssuedCertificate> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(input.csrPem);
  } catch {
    throw new ValidationError('csr is not a PEM PKCS#10 certificate request', 'csr');
  }
  if (!(await csr.verify())) throw new ValidationError('csr signature does not verify', 'csr');
  const alg = csr.publicKey.algorithm as webcrypto.EcKeyAlgorithm;
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256')
    throw new ValidationError('csr key must be ECDSA P-256', 'csr');
  const expectedCn = issuerCommonName(input.trustDomain);
  if (csr.subject !== `CN=${expectedCn}`)
    throw new ValidationError(`csr subject must be CN=${expectedCn} (got ${csr.subject})`, 'csr');

  const anchor = new x509.X509Certificate(input.anchorCertPem);
  const anchorKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(input.anchorKeyPem),
    ECDSA_P256,
    false,
    ['sign'],
  );
  const now = input.now ?? new Date();
  const publicKey = await csr.publicKey.export(ECDSA_P256, ['verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: csr.subject,
    issuer: anchor.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + input.validityDays * DAY_MS),
    publicKey,
    signingKey: anchorKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(anchor),
    ],
  });
  return {
    certPem: cert.toString('pem'),
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    sha256Fingerprint: fingerprint(cert),
  };
}

/** What an agent does in the cluster: a key pair and a CSR (exported for tests and the agent). */
export async function createIssuerCsr(trustDomain: string): Promise<{ csrPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${issuerCommonName(trustDomain)}`,
    keys,
    signingAlgorithm: SIGNING,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { csrPem: csr.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}
