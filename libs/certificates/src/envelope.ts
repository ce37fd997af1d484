// Envelope encryption for secrets at rest: each secret gets its own random data key
// (AES-256-GCM); the data key is wrapped with a key-encryption key named by id, so KEKs can be
// rotated by re-wrapping data keys without touching the secrets themselves.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError, FailedPreconditionError } from '@meshfleet/core';

export interface Sealed {
  v: 1;
  kid: string;
  wrappedKey: string;
  wrapIv: string;
  wrapTag: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

export interface Keyring {
  keys: Map<string, Buffer>;
  activeKeyId: string;
}

function gcmEncrypt(key: Buffer, plaintext: Buffer): { iv: Buffer; tag: Buffer; ct: Buffer } {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return { iv, tag: c.getAuthTag(), ct };
}

function gcmDecrypt(key: Buffer, iv: Buffer, tag: Buffer, ct: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ct), d.final()]);
}

export function seal(keyring: Keyring, plaintext: string): Sealed {
  const kek = keyring.keys.get(keyring.activeKeyId);
  if (!kek) throw new DomainError('INTERNAL', `Encryption key ${keyring.activeKeyId} is not configured`);
  const dataKey = randomBytes(32);
  const wrapped = gcmEncrypt(kek, dataKey);
  const body = gcmEncrypt(dataKey, Buffer.from(plaintext, 'utf8'));
  dataKey.fill(0);
  return {
    v: 1,
    kid: keyring.activeKeyId,
    wrappedKey: wrapped.ct.toString('base64'),
    wrapIv: wrapped.iv.toString('base64'),
    wrapTag: wrapped.tag.toString('base64'),
    iv: body.iv.toString('base64'),
    tag: body.tag.toString('base64'),
    ciphertext: body.ct.toString('base64'),
  };
}

/**
 * A secret sealed under a key this process does not hold (the setting lost it, or a key of that
 * id with other bytes): a configuration problem the caller can act on, never an internal error.
 */
export class EncryptionKeyMissingError extends FailedPreconditionError {
  constructor(kid: string, changed: boolean) {
    super(
      changed
        ? `Encryption key ${kid} in MESHFLEET_ENCRYPTION_KEYS is not the key this secret was sealed with (the key changed): configure the original key, or create a new identity domain / rotate the webhook secret`
        : `Encryption key ${kid} is not in MESHFLEET_ENCRYPTION_KEYS: add it back (see keys status), or create a new identity domain / rotate the webhook secret`,
      { reason: 'ENCRYPTION_KEY_MISSING', kid },
    );
  }
}

export function open(keyring: Keyring, sealed: Sealed): string {
  const kek = keyring.keys.get(sealed.kid);
  if (!kek) throw new EncryptionKeyMissingError(sealed.kid, false);
  const b = (s: string) => Buffer.from(s, 'base64');
  let dataKey: Buffer;
  try {
    dataKey = gcmDecrypt(kek, b(sealed.wrapIv), b(sealed.wrapTag), b(sealed.wrappedKey));
  } catch {
    throw new EncryptionKeyMissingError(sealed.kid, true);
  }
  try {
    return gcmDecrypt(dataKey, b(sealed.iv), b(sealed.tag), b(sealed.ciphertext)).toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/** Whether `open` would succeed: the key id is configured and unwraps the data key. */
export function canOpen(keyring: Keyring | null | undefined, sealed: Sealed | null | undefined): boolean {
  if (!keyring || !sealed) return false;
  const kek = keyring.keys.get(sealed.kid);
  if (!kek) return false;
  const b = (s: string) => Buffer.from(s, 'base64');
  try {
    gcmDecrypt(kek, b(sealed.wrapIv), b(sealed.wrapTag), b(sealed.wrappedKey)).fill(0);
    return true;
  } catch {
    return false;
  }
}

/** Re-wraps the data key under the active KEK (key rotation); the ciphertext stays as it is. */
export function rewrap(keyring: Keyring, sealed: Sealed): Sealed {
  if (sealed.kid === keyring.activeKeyId) return sealed;
  const oldKek = keyring.keys.get(sealed.kid);
  const newKek = keyring.keys.get(keyring.activeKeyId);
  if (!oldKek || !newKek)
    throw new DomainError('INTERNAL', 'Both the old and the active encryption key must be configured');
  const b = (s: string) => Buffer.from(s, 'base64');
  const dataKey = gcmDecrypt(oldKek, b(sealed.wrapIv), b(sealed.wrapTag), b(sealed.wrappedKey));
  const wrapped = gcmEncrypt(newKek, dataKey);
  dataKey.fill(0);
  return {
    ...sealed,
    kid: keyring.activeKeyId,
    wrappedKey: wrapped.ct.toString('base64'),
    wrapIv: wrapped.iv.toString('base64'),
    wrapTag: wrapped.tag.toString('base64'),
  };
}
