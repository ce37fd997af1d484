// Real certificates for tests: ECDSA P-256 via WebCrypto, built with @peculiar/x509.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestCert {
  pem: string;
  cert: x509.X509Certificate;
  keys: KeyPair;
}

export interface CertOptions {
  cn: string;
  /** Days relative to `now` (negative = in the past). */
  from?: number;
  to?: number;
  ca?: boolean;
  dnsNames?: string[];
  signer?: TestCert;
  now: Date;
  serial?: string;
}

let serial = 0x10;

export async function makeCert(o: CertOptions): Promise<TestCert> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as KeyPair;
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(o.ca ?? true, undefined, true)];
  if (o.ca ?? true) {
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  }
  if (o.dnsNames)
    extensions.push(
      new x509.SubjectAlternativeNameExtension(o.dnsNames.map((value) => ({ type: 'dns', value }))),
    );
  const common = {
    serialNumber: o.serial ?? (serial++).toString(16).padStart(2, '0'),
    notBefore: new Date(o.now.getTime() + (o.from ?? -30) * DAY),
    notAfter: new Date(o.now.getTime() + (o.to ?? 365) * DAY),
    signingAlgorithm: ALG,
    extensions,
  };
  const cert = o.signer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: `CN=${o.cn}`,
        issuer: o.signer.cert.subject,
        publicKey: keys.publicKey,
        signingKey: o.signer.keys.privateKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: `CN=${o.cn}`, keys });
  return { pem: cert.toString('pem'), cert, keys };
}

export interface TestPki {
  anchor: TestCert;
  issuer: TestCert;
  injector: TestCert;
  spValidator: TestCert;
  policyValidator: TestCert;
}

/** A healthy mesh PKI: anchor → issuer, plus self-signed webhook serving certs. */
export async function makePki(now: Date, ns = 'linkerd'): Promise<TestPki> {
  const anchor = await makeCert({ cn: 'root.linkerd.cluster.local', now, to: 3650 });
  const issuer = await makeCert({ cn: 'identity.linkerd.cluster.local', now, to: 365, signer: anchor });
  const webhook = (svc: string) =>
    makeCert({ cn: `${svc}.${ns}.svc`, now, to: 365, dnsNames: [`${svc}.${ns}.svc`] });
  return {
    anchor,
    issuer,
    injector: await webhook('linkerd-proxy-injector'),
    spValidator: await webhook('linkerd-sp-validator'),
    policyValidator: await webhook('linkerd-policy-validator'),
  };
}
