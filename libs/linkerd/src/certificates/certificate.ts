// X.509 parsing with @peculiar/x509 (never by hand): the public facts the inventory reports.
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { splitPemCertificates } from './pem';
import { BasicConstraintsExtension, SubjectAlternativeNameExtension, X509Certificate } from '@peculiar/x509';

export interface ParsedCertificate {
  cert: X509Certificate;
  subject: string;
  issuer: string;
  /** Lower-case hex without separators. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** "ECDSA P-256", "RSA 2048", "Ed25519", ... */
  keyAlgorithm: string;
  /** "ECDSA SHA-256", "RSA SHA-256", ... */
  signatureAlgorithm: string;
  isCA: boolean;
  dnsNames: string[];
  sha256Fingerprint: string;
  commonName: string;
}

interface AlgorithmLike {
  name: string;
  namedCurve?: string;
  modulusLength?: number;
  hash?: { name: string } | string;
}

function describeKey(a: AlgorithmLike): string {
  if (a.name === 'ECDSA' || a.name === 'ECDH') return `ECDSA ${a.namedCurve ?? 'unknown-curve'}`;
  if (a.name.startsWith('RSA')) return `RSA ${a.modulusLength ?? 'unknown-size'}`;
  return a.name;
}

function describeSignature(a: AlgorithmLike): string {
  const hash = typeof a.hash === 'string' ? a.hash : a.hash?.name;
  const family = a.name === 'ECDSA' ? 'ECDSA' : a.name.startsWith('RSA') ? 'RSA' : a.name;
  return hash ? `${family} ${hash}` : family;
}

export function parseCertificatePem(pem: string): ParsedCertificate {
  const cert = new X509Certificate(pem);
  const bc = cert.getExtension(BasicConstraintsExtension);
  const san = cert.getExtension(SubjectAlternativeNameExtension);
  const cn = /(?:^|,\s*)CN=([^,]+)/.exec(cert.subject)?.[1] ?? '';
  return {
    cert,
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    keyAlgorithm: describeKey(cert.publicKey.algorithm as AlgorithmLike),
    signatureAlgorithm: describeSignature(cert.signatureAlgorithm as AlgorithmLike),
    isCA: bc?.ca === true,
    dnsNames: san?.names.items.filter((n) => n.type === 'dns').map((n) => n.value) ?? [],
    sha256Fingerprint: createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex'),
    commonName: cn,
  };
}

export type BundleParse = { certificates: ParsedCertificate[]; errors: string[] };

/** Parses every CERTIFICATE block; a broken block becomes an error, not an exception. */
export function parseCertificateBundle(pemBundle: string, parse = parseCertificatePem): BundleParse {
  const result: BundleParse = { certificates: [], errors: [] };
  const blocks = splitPemCertificates(pemBundle);
  blocks.forEach((block, i) => {
    try {
      result.certificates.push(parse(block));
    } catch (e) {
      result.errors.push(`certificate #${i + 1}: ${(e as Error).message}`);
    }
  });
  if (blocks.length === 0) result.errors.push('no PEM certificate found');
  return result;
}

/** True when `child`'s signature verifies with `parent`'s public key (no time or name check). */
export async function isSignedBy(child: ParsedCertificate, parent: ParsedCertificate): Promise<boolean> {
  try {
    return await child.cert.verify({ publicKey: parent.cert.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

/** Some anchor verifies the certificate. Identity does not check DNS names on the issuer either. */
export async function chainsToAny(child: ParsedCertificate, anchors: ParsedCertificate[]): Promise<boolean> {
  for (const anchor of anchors) if (await isSignedBy(child, anchor)) return true;
  return false;
}

export function daysUntil(date: Date, now: Date): number {
  return (date.getTime() - now.getTime()) / 86_400_000;
}
