import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config';

const base = { DATABASE_URL: 'postgresql://u@localhost:5432/db' };

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadConfig(base);
    assert.equal(c.port, 3000);
    assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(c.publicUrl, 'http://localhost:3000');
    assert.equal(c.heartbeatIntervalSeconds, 15);
    assert.equal(c.oidc, null);
  });

  it('names a missing setting', () => {
    assert.throws(
      () => loadConfig({}),
      (e: unknown) => e instanceof ConfigError && /DATABASE_URL/.test(e.message),
    );
  });

  it('names a malformed setting', () => {
    assert.throws(
      () => loadConfig({ ...base, PORT: 'eighty' }),
      (e: unknown) => e instanceof ConfigError && /PORT/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ ...base, REDIS_URL: 'http://x' }),
      (e: unknown) => e instanceof ConfigError && /REDIS_URL/.test(e.message),
    );
  });

  it('requires the OIDC settings together', () => {
    assert.throws(
      () => loadConfig({ ...base, MESHFLEET_OIDC_ISSUER: 'https://idp' }),
      (e: unknown) => e instanceof ConfigError && /go together/.test(e.message),
    );
    const c = loadConfig({
      ...base,
      MESHFLEET_OIDC_ISSUER: 'https://idp',
      MESHFLEET_OIDC_AUDIENCE: 'meshfleet',
      MESHFLEET_OIDC_JWKS_URL: 'https://idp/jwks',
    });
    assert.deepEqual(c.oidc, { issuer: 'https://idp', audience: 'meshfleet', jwksUrl: 'https://idp/jwks' });
  });
});
