import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { generateSecret, signedHeaders } from './signing';

describe('webhook signing', () => {
  it('makes whsec_ secrets of 32 random bytes', () => {
    const s = generateSecret();
    assert.match(s, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(s.slice(6), 'base64').length, 32);
    assert.notEqual(generateSecret(), s);
  });

  it('signs id.timestamp.body so the standardwebhooks package verifies it', () => {
    const secret = generateSecret();
    const body = JSON.stringify({ type: 'alert.firing', data: { x: 1 } });
    const h = signedHeaders([secret], 'msg_1', new Date(), body);
    assert.deepEqual(new Webhook(secret).verify(body, h), JSON.parse(body));
    const expected = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
      .update(`msg_1.${h['webhook-timestamp']}.${body}`)
      .digest('base64');
    assert.equal(h['webhook-signature'], `v1,${expected}`);
  });

  it('sends one signature per secret during rotation, each verifiable on its own', () => {
    const a = generateSecret();
    const b = generateSecret();
    const body = '{"ok":true}';
    const h = signedHeaders([a, b], 'msg_2', new Date(), body);
    assert.equal(h['webhook-signature']!.split(' ').length, 2);
    new Webhook(a).verify(body, h);
    new Webhook(b).verify(body, h);
    assert.throws(() => new Webhook(generateSecret()).verify(body, h));
  });

  it('fails verification when the body is altered', () => {
    const s = generateSecret();
    const h = signedHeaders([s], 'msg_3', new Date(), '{"a":1}');
    assert.throws(() => new Webhook(s).verify('{"a":2}', h));
  });
});
