// Time and algorithm rules for certificates, phrased like the CLI's messages.
import { daysUntil, type ParsedCertificate } from '../certificates/certificate';

const day = (d: Date) => d.toISOString();

/** Null when valid at `now`; otherwise the reason. */
export function timeInvalidReason(c: ParsedCertificate, now: Date): string | null {
  if (now < c.notBefore) return `not valid before: ${day(c.notBefore)}`;
  if (now > c.notAfter) return `not valid anymore. Expired on ${day(c.notAfter)}`;
  return null;
}

/** Null unless the certificate expires within `days`. */
export function expiringSoonReason(c: ParsedCertificate, now: Date, days: number): string | null {
  return daysUntil(c.notAfter, now) < days ? `will expire on ${day(c.notAfter)}` : null;
}

/** Issuer: ECDSA P-256, signed with ECDSA-SHA256 or SHA256-RSA (reference §3.6). */
export function issuerAlgorithmError(c: ParsedCertificate): string | null {
  if (c.keyAlgorithm !== 'ECDSA P-256') return `must use ECDSA P-256 keys, found ${c.keyAlgorithm}`;
  if (c.signatureAlgorithm !== 'ECDSA SHA-256' && c.signatureAlgorithm !== 'RSA SHA-256') {
    return `must be signed with ECDSA-SHA256 or SHA256-RSA, found ${c.signatureAlgorithm}`;
  }
  return null;
}

/** Trust anchors: ECDSA P-256, or RSA 2048/4096. */
export function anchorAlgorithmError(c: ParsedCertificate): string | null {
  return ['ECDSA P-256', 'RSA 2048', 'RSA 4096'].includes(c.keyAlgorithm)
    ? null
    : `uses ${c.keyAlgorithm}; supported are ECDSA P-256 and RSA 2048/4096`;
}

export function describeCert(c: ParsedCertificate): string {
  return `${c.serialNumber} ${c.commonName || c.subject}`;
}
