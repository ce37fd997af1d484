import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { open, rewrap, seal } from './envelope';

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
});
