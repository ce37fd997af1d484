import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './logger';

describe('agent logger', () => {
  it('redacts bootstrap tokens, credentials, authorization headers and Secret data', () => {
    const lines: string[] = [];
    const log = createLogger('info', {}, { write: (s: string) => void lines.push(s) });
    log.info({ bootstrapToken: 'mfb_secret_token_value' }, 'a');
    log.info({ enroll: { credential: 'mfa_secret_credential' } }, 'b');
    log.info({ headers: { authorization: 'Bearer mfa_secret_credential' } }, 'c');
    log.info({ secret: { data: { tlsKey: 'PRIVATE' } } }, 'd');
    const out = lines.join('');
    assert.equal(lines.length, 4);
    for (const s of ['mfb_secret_token_value', 'mfa_secret_credential', 'PRIVATE'])
      assert.ok(!out.includes(s), s);
    assert.match(out, /\[redacted\]/);
  });
});
