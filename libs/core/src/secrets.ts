// High-entropy bearer secrets (API keys, bootstrap tokens, agent credentials).
// They are random 32-byte values, so a fast SHA-256 is the right hash: nothing to brute-force.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface IssuedSecret {
  secret: string;
  prefix: string;
  hash: string;
}

/** One-shot SHA-256 (no Hash object: this runs on every agent request). */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

export function issueSecret(kind: 'mfk' | 'mfb' | 'mfa'): IssuedSecret {
  const id = randomBytes(4).toString('hex');
  const secret = `${kind}_${id}_${randomBytes(32).toString('base64url')}`;
  return { secret, prefix: `${kind}_${id}`, hash: hashSecret(secret) };
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
