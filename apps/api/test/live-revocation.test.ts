// A credential that stops being valid closes the graphql-ws connections opened with it: revoking
// an API key closes its subscriptions within a second (code 4401), while a connection opened with
// another key keeps receiving; a JWT's connection closes when the token expires.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LiveSessions, jwtExpiryMs, REVOKED_CLOSE_CODE } from '../src/live-sessions';
import { AppConfig } from '@meshfleet/config';
import { startLocalOidc, type LocalOidc } from '@meshfleet/testing';
import { registerAndEnroll } from './agent-http';
import { startApi, type TestApi } from './harness';

/** Opens a graphql-ws connection with `token`, subscribes, and resolves with the close code. */
async function subscribeUntilClosed(
  api: TestApi,
  token: string,
  clusterId: string,
): Promise<{ closed: Promise<number>; dispose: () => Promise<void> }> {
  const { createClient } = await import('graphql-ws');
  const WebSocket = (await import('ws')).default;
  let client!: ReturnType<typeof createClient>;
  const closed = new Promise<number>((resolve) => {
    client = createClient({
      url: `${api.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      on: { closed: (e) => resolve((e as { code: number }).code) },
    });
    client.subscribe(
      {
        query: `subscription($c: ID!) { operationUpdated(clusterId: $c) { id } }`,
        variables: { c: clusterId },
      },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
  });
  return { closed, dispose: async () => client.dispose() };
}

const within = (p: Promise<number>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`${what}: still open`)), ms)),
  ]);

describe('live connections of a revoked credential', () => {
  let api: TestApi;
  let admin: string;

  before(async () => {
    api = await startApi();
    ({ apiKey: admin } = await api.newOrg('revocation'));
  });
  after(() => api.close());

  it("closes the revoked key's subscription within a second and leaves other keys' open", async () => {
    const { id: clusterId } = await registerAndEnroll(api, admin, { name: 'watched' });
    const created = await api.gql(
      `mutation { createApiKey(input: { name: "dashboard", role: VIEWER }) { secret apiKey { id } } }`,
      {},
      admin,
    );
    const { secret, apiKey } = created.data!.createApiKey;
    const revoked = await subscribeUntilClosed(api, secret, clusterId);
    const other = await subscribeUntilClosed(api, admin, clusterId);
    let otherClosed = false;
    void other.closed.then(() => (otherClosed = true));
    await new Promise((r) => setTimeout(r, 400)); // both connected and subscribed
    const t0 = Date.now();
    const r = await api.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: apiKey.id }, admin);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(await within(revoked.closed, 1000, 'after revokeApiKey'), REVOKED_CLOSE_CODE);
    assert.ok(Date.now() - t0 < 1000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(otherClosed, false, "the other key's connection stays open");
    await revoked.dispose();
    await other.dispose();
  });
});

describe('revocation across API replicas', () => {
  let one: TestApi;
  let two: TestApi;
  before(async () => {
    one = await startApi();
    const config = one.app.get(AppConfig);
    // A second replica on the same database and Redis prefix.
    two = await startApi({ DATABASE_URL: one.db.url, MESHFLEET_REDIS_PREFIX: config.redisPrefix });
  });
  after(async () => {
    await two?.close();
    await one?.close();
  });

  it('closes on the replica holding the connection when the key is revoked through another', async () => {
    const { apiKey: admin } = await one.newOrg('replicas');
    const { id: clusterId } = await registerAndEnroll(one, admin, { name: 'replicated' });
    const created = await one.gql(
      `mutation { createApiKey(input: { name: "wall", role: VIEWER }) { secret apiKey { id } } }`,
      {},
      admin,
    );
    const { secret, apiKey } = created.data!.createApiKey;
    const live = await subscribeUntilClosed(two, secret, clusterId);
    await new Promise((r) => setTimeout(r, 400));
    await one.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: apiKey.id }, admin);
    assert.equal(await within(live.closed, 1000, 'on the other replica'), REVOKED_CLOSE_CODE);
    await live.dispose();
  });
});

describe('live connections of an OIDC user', () => {
  let api: TestApi;
  let oidc: LocalOidc;
  let admin: string;
  let clusterId: string;

  before(async () => {
    oidc = await startLocalOidc();
    api = await startApi({
      MESHFLEET_OIDC_ISSUER: oidc.issuer,
      MESHFLEET_OIDC_AUDIENCE: oidc.audience,
      MESHFLEET_OIDC_JWKS_URL: oidc.jwksUrl,
    });
    ({ apiKey: admin } = await api.newOrg('oidc-live'));
    ({ id: clusterId } = await registerAndEnroll(api, admin, { name: 'watched-by-users' }));
  });
  after(async () => {
    await api.close();
    await oidc.close();
  });

  const addMember = async (subject: string) => {
    const r = await api.gql(
      `mutation($s: String!) { addMember(input: { subject: $s, role: VIEWER }) { id } }`,
      { s: subject },
      admin,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!.addMember.id as string;
  };

  it("closes a removed member's connection within a second", async () => {
    const id = await addMember('carol');
    const live = await subscribeUntilClosed(api, await oidc.sign({ sub: 'carol' }), clusterId);
    await new Promise((r) => setTimeout(r, 400));
    const removed = await api.gql(`mutation($id: ID!) { removeMember(id: $id) { id } }`, { id }, admin);
    assert.equal(removed.errors, undefined, JSON.stringify(removed.errors));
    assert.equal(await within(live.closed, 1000, 'after removeMember'), REVOKED_CLOSE_CODE);
    await live.dispose();
  });

  it('closes a connection when its token expires', async () => {
    await addMember('dave');
    const live = await subscribeUntilClosed(
      api,
      await oidc.sign({ sub: 'dave' }, { expiresIn: '2s' }),
      clusterId,
    );
    assert.equal(await within(live.closed, 4000, 'after the token expired'), REVOKED_CLOSE_CODE);
    await live.dispose();
  });
});

describe('LiveSessions', () => {
  const jwt = (exp: number) => `h.${Buffer.from(JSON.stringify({ sub: 'u', exp })).toString('base64url')}.s`;

  it('reads the exp claim of a JWT, and nothing from an API key', () => {
    assert.equal(jwtExpiryMs(jwt(1_900_000_000)), 1_900_000_000_000);
    assert.equal(jwtExpiryMs('mfk_abcd_xyz'), null);
    assert.equal(jwtExpiryMs('a.!!!.c'), null);
  });

  it("closes a user's connection when the token expires, not an API key's", async () => {
    const sessions = new LiveSessions({ iterator: () => ({}) } as never);
    const closes: Array<[string, number]> = [];
    const socket = (name: string) => ({ close: (code: number) => closes.push([name, code]) });
    const user = { organizationId: 'o', role: 'VIEWER', kind: 'USER', actorId: 'u', actorName: 'u' } as const;
    const key = { ...user, kind: 'API_KEY', actorId: 'k' } as const;
    sessions.track(user as never, jwt(Math.floor(Date.now() / 1000) + 1), socket('user'));
    sessions.track(key as never, 'mfk_abcd_xyz', socket('key'));
    await new Promise((r) => setTimeout(r, 1300));
    assert.deepEqual(closes, [['user', REVOKED_CLOSE_CODE]]);
    await sessions.stop();
  });
});
