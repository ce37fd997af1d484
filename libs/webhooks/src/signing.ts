// Standard Webhooks signing (symmetric v1): the official package computes the signature.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

const SECRET_BYTES = 32;

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** `v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>` for one secret. */
export function signature(secret: string, id: string, timestamp: Date, body: string): string {
  return new Webhook(secret).sign(id, timestamp, body);
}

/** The three Standard Webhooks headers; several secrets (rotation overlap) give several signatures. */
export function signedHeaders(secrets: string[], id: string, at: Date, body: string): Record<string, string> {
  const ts = new Date(Math.floor(at.getTime() / 1000) * 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(ts.getTime() / 1000),
    'webhook-signature': secrets.map((s) => signature(s, id, ts, body)).join(' '),
  };
}
