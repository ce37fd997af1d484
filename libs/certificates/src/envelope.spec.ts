import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { canOpen, EncryptionKeyMissingError, open, rewrap, seal } from './envelope';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

describe('envelope encryption', () => {
  it('round-trips and never contains the plaintext', () => {
    const ring = { keys: new Map([['k1', k1]]), activeKeyId: 'k1' };
    const sealed = seal(ring, '-----BEGIN PRIVATE KEY-----secret');
    assert.ok(!JSON.stringify(sealed).includes('secret'));
    assert.equal(sealed.kid, 'k1');
    assert.equal(open(ring, sealed), '-----BEGIN PRIVATE KEY-----secret');
  });

  it('detects tampering', () => {
    const ring = { keys: new Map([['k1', k1]]), activeKeyId: 'k1' };
    const sealed = seal(ring, 'data');
    const bad = { ...sealed, ciphertext: Buffer.from('xxxx').toString('base64') };
    assert.throws(() => open(ring, bad));
  });

  it('rotates the key-encryption key by re-wrapping', () => {
    const old = { keys: new Map([['k1', k1]]), activeKeyId: 'k1' };
    const sealed = seal(old, 'anchor key');
    const both = {
      keys: new Map([
        ['k1', k1],
        ['k2', k2],
      ]),
      activeKeyId: 'k2',
    };
    const moved = rewrap(both, sealed);
    assert.equal(moved.kid, 'k2');
    assert.equal(moved.ciphertext, sealed.ciphertext);
    assert.equal(open({ keys: new Map([['k2', k2]]), activeKeyId: 'k2' }, moved), 'anchor key');
  });

  it('a key that is gone or changed is a FAILED_PRECONDITION naming the key id, not an internal error', () => {
    const sealed = seal({ keys: new Map([['k1', k1]]), activeKeyId: 'k1' }, 'anchor key');
    const gone = { keys: new Map([['k2', k2]]), activeKeyId: 'k2' };
    const changed = { keys: new Map([['k1', k2]]), activeKeyId: 'k1' };
    for (const ring of [gone, changed]) {
      assert.equal(canOpen(ring, sealed), false);
      assert.throws(
        () => open(ring, sealed),
        (e: unknown) =>
          e instanceof EncryptionKeyMissingError &&
          e.code === 'FAILED_PRECONDITION' &&
          e.details['reason'] === 'ENCRYPTION_KEY_MISSING' &&
          e.details['kid'] === 'k1',
      );
    }
    assert.equal(canOpen({ keys: new Map([['k1', k1]]), activeKeyId: 'k1' }, sealed), true);
    assert.equal(canOpen(null, sealed), false);
  });
});
