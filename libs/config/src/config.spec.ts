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
    assert.deepEqual(c.oidc, {
      issuer: 'https://idp',
      audience: 'meshfleet',
      jwksUrl: 'https://idp/jwks',
      groupRoles: null,
    });
  });
});

describe('OIDC group roles and the worker port', () => {
  const oidc = {
    ...base,
    MESHFLEET_OIDC_ISSUER: 'https://idp.example.test/',
    MESHFLEET_OIDC_AUDIENCE: 'meshfleet',
    MESHFLEET_OIDC_JWKS_URL: 'https://idp.example.test/jwks',
  };

  it('reads a group → role mapping, with the claim and organization defaults', () => {
    const c = loadConfig({
      ...oidc,
      MESHFLEET_OIDC_GROUP_ROLES: 'platform-admins=ADMIN, Platform Team = EDITOR,viewers=VIEWER',
    });
    assert.deepEqual(c.oidc?.groupRoles, {
      claim: 'groups',
      organization: 'default',
      roles: new Map([
        ['platform-admins', 'ADMIN'],
        ['Platform Team', 'EDITOR'],
        ['viewers', 'VIEWER'],
      ]),
    });
    assert.equal(loadConfig(oidc).oidc?.groupRoles, null);
    assert.equal(c.workerPort, 3001);
    assert.equal(loadConfig({ ...base, MESHFLEET_WORKER_PORT: '9464' }).workerPort, 9464);
  });

  it('refuses an unknown role, a malformed mapping, and a mapping without OIDC', () => {
    for (const [env, name] of [
      [{ ...oidc, MESHFLEET_OIDC_GROUP_ROLES: 'ops=OPERATOR' }, 'MESHFLEET_OIDC_GROUP_ROLES'],
      [{ ...oidc, MESHFLEET_OIDC_GROUP_ROLES: 'ops' }, 'MESHFLEET_OIDC_GROUP_ROLES'],
      [{ ...base, MESHFLEET_OIDC_GROUP_ROLES: 'ops=ADMIN' }, 'MESHFLEET_OIDC_GROUP_ROLES: needs OIDC'],
      [{ ...base, MESHFLEET_WORKER_PORT: '70000' }, 'MESHFLEET_WORKER_PORT'],
    ] as const)
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof ConfigError && e.message.includes(name),
      );
  });
});
