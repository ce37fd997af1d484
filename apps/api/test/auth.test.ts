import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorCode, LocalOidc, startLocalOidc } from '@meshfleet/testing';
import { startApi, TestApi } from './harness';

const CREATE_KEY = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix role revokedAt } } }`;
const REGISTER = `mutation($name: String!) { registerCluster(input: { name: $name, provider: EKS }) { cluster { id } } }`;

describe('API keys and roles', () => {
  let api: TestApi;
  let admin: string;

  before(async () => {
    api = await startApi();
    ({ apiKey: admin } = await api.newOrg('keys-org'));
  });
  after(() => api.close());

  it('rejects calls without a key or with an unknown key', async () => {
    assert.equal(errorCode(await api.gql('{ viewer { role } }')), 'UNAUTHENTICATED');
    assert.equal(errorCode(await api.gql('{ viewer { role } }', {}, 'mfk_nope_nope')), 'UNAUTHENTICATED');
  });

  it('creates keys whose secret is shown once and never listed', async () => {
    const r = await api.gql(CREATE_KEY, { input: { name: 'ci', role: 'EDITOR' } }, admin);
    const { secret, apiKey } = r.data!.createApiKey;
    assert.ok(secret.startsWith(apiKey.prefix));
    const list = await api.gql('{ apiKeys { id name prefix role } }', {}, admin);
    assert.ok(!JSON.stringify(list).includes(secret));
    assert.ok(list.data!.apiKeys.some((k: any) => k.id === apiKey.id && k.role === 'EDITOR'));
    const me = await api.gql('{ viewer { role kind actorName organization { name } } }', {}, secret);
    assert.deepEqual(me.data!.viewer, {
      role: 'EDITOR',
      kind: 'API_KEY',
      actorName: 'api-key:ci',
      organization: { name: 'keys-org' },
    });
  });

  it('lets a viewer read but not mutate', async () => {
    const viewer = (await api.gql(CREATE_KEY, { input: { name: 'ro', role: 'VIEWER' } }, admin)).data!
      .createApiKey.secret;
    assert.equal((await api.gql('{ clusters { totalCount } }', {}, viewer)).errors, undefined);
    const r = await api.gql(REGISTER, { name: 'from-viewer' }, viewer);
    assert.equal(errorCode(r), 'FORBIDDEN');
    const count = await api.gql('{ clusters(filter: { search: "from-viewer" }) { totalCount } }', {}, admin);
    assert.equal(count.data!.clusters.totalCount, 0);
    assert.equal(
      errorCode(await api.gql(CREATE_KEY, { input: { name: 'x', role: 'ADMIN' } }, viewer)),
      'FORBIDDEN',
    );
  });

  it('lets an editor operate clusters but not manage keys', async () => {
    const editor = (await api.gql(CREATE_KEY, { input: { name: 'ed', role: 'EDITOR' } }, admin)).data!
      .createApiKey.secret;
    assert.equal((await api.gql(REGISTER, { name: 'from-editor' }, editor)).errors, undefined);
    assert.equal(errorCode(await api.gql('{ apiKeys { id } }', {}, editor)), 'FORBIDDEN');
  });

  it('refuses a revoked key at once', async () => {
    const created = (await api.gql(CREATE_KEY, { input: { name: 'temp', role: 'ADMIN' } }, admin)).data!
      .createApiKey;
    assert.equal((await api.gql('{ viewer { role } }', {}, created.secret)).errors, undefined);
    const rev = await api.gql(
      `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`,
      { id: created.apiKey.id },
      admin,
    );
    assert.ok(rev.data!.revokeApiKey.revokedAt);
    const r = await api.gql('{ viewer { role } }', {}, created.secret);
    assert.equal(errorCode(r), 'UNAUTHENTICATED');
    assert.match(r.errors![0]!.message, /revoked/);
  });

  it('validates key names', async () => {
    const r = await api.gql(CREATE_KEY, { input: { name: '   ', role: 'VIEWER' } }, admin);
    assert.equal(errorCode(r), 'BAD_USER_INPUT');
    assert.equal(r.errors![0]!.extensions!['field'], 'name');
  });
});

describe('OIDC users', () => {
  let api: TestApi;
  let oidc: LocalOidc;
  let admin: string;
  let orgA: string;
  let orgB: string;

  before(async () => {
    oidc = await startLocalOidc();
    api = await startApi({
      MESHFLEET_OIDC_ISSUER: oidc.issuer,
      MESHFLEET_OIDC_AUDIENCE: oidc.audience,
      MESHFLEET_OIDC_JWKS_URL: oidc.jwksUrl,
    });
    ({ apiKey: admin, organizationId: orgA } = await api.newOrg('oidc-a'));
    const b = await api.newOrg('oidc-b');
    orgB = b.organizationId;
    const add = `mutation($input: AddMemberInput!) { addMember(input: $input) { id subject role } }`;
    assert.equal(
      (await api.gql(add, { input: { subject: 'alice', email: 'alice@example.com', role: 'EDITOR' } }, admin))
        .errors,
      undefined,
    );
    assert.equal(
      (await api.gql(add, { input: { subject: 'bob', role: 'VIEWER' } }, admin)).errors,
      undefined,
    );
    assert.equal(
      (await api.gql(add, { input: { subject: 'bob', role: 'ADMIN' } }, b.apiKey)).errors,
      undefined,
    );
    const dup = await api.gql(add, { input: { subject: 'alice', role: 'VIEWER' } }, admin);
    assert.equal(errorCode(dup), 'CONFLICT');
  });
  after(async () => {
    await api.close();
    await oidc.close();
  });

  it('authenticates a member with a JWT verified against the JWKS', async () => {
    const token = await oidc.sign({ sub: 'alice', email: 'alice@example.com' });
    const r = await api.gql('{ viewer { role kind actorName organization { id } } }', {}, token);
    assert.deepEqual(r.data!.viewer, {
      role: 'EDITOR',
      kind: 'USER',
      actorName: 'alice@example.com',
      organization: { id: orgA },
    });
    assert.equal((await api.gql(REGISTER, { name: 'by-alice' }, token)).errors, undefined);
    const audit = await api.gql(
      '{ auditEvents(filter: { action: "cluster.register" }) { edges { node { actorType actorName } } } }',
      {},
      admin,
    );
    assert.deepEqual(audit.data!.auditEvents.edges[0].node, {
      actorType: 'USER',
      actorName: 'alice@example.com',
    });
  });

  it('rejects expired, foreign-signed, wrong-audience and wrong-issuer tokens', async () => {
    const bad = [
      await oidc.sign({ sub: 'alice' }, { expiresIn: '-1m' }),
      await oidc.sign({ sub: 'alice' }, { foreignKey: true }),
      await oidc.sign({ sub: 'alice' }, { audience: 'someone-else' }),
      await oidc.sign({ sub: 'alice' }, { issuer: 'https://evil.example/' }),
    ];
    for (const token of bad)
      assert.equal(errorCode(await api.gql('{ viewer { role } }', {}, token)), 'UNAUTHENTICATED');
  });

  it('refuses a valid user who is not a member', async () => {
    const token = await oidc.sign({ sub: 'mallory' });
    assert.equal(errorCode(await api.gql('{ viewer { role } }', {}, token)), 'FORBIDDEN');
  });

  it('needs the organization header for users of several organizations', async () => {
    const token = await oidc.sign({ sub: 'bob' });
    assert.equal(errorCode(await api.gql('{ viewer { role } }', {}, token)), 'FORBIDDEN');
    const inB = await (
      await import('@meshfleet/testing')
    ).gql(api.url, '{ viewer { role organization { id } } }', {}, token, {
      'x-meshfleet-organization': orgB,
    });
    assert.deepEqual(inB.data!.viewer, { role: 'ADMIN', organization: { id: orgB } });
  });
});

describe('OIDC group claims mapped to roles (MESHFLEET_OIDC_GROUP_ROLES)', () => {
  let api: TestApi;
  let oidc: LocalOidc;
  let admin: string;
  let orgId: string;

  const viewer = (token: string) => api.gql('{ viewer { role kind organization { id } } }', {}, token);
  const members = async () =>
    (await api.gql('{ members { subject role viaOidcGroups } }', {}, admin)).data!.members as {
      subject: string;
      role: string;
      viaOidcGroups: boolean;
    }[];
  const audited = async (action: string) =>
    (
      await api.gql(
        `query($a: String!) { auditEvents(filter: { action: $a }) { edges { node { actorType actorName targetId metadata } } } }`,
        { a: action },
        admin,
      )
    ).data!.auditEvents.edges.map((e: any) => e.node);

  before(async () => {
    oidc = await startLocalOidc();
    api = await startApi({
      MESHFLEET_OIDC_ISSUER: oidc.issuer,
      MESHFLEET_OIDC_AUDIENCE: oidc.audience,
      MESHFLEET_OIDC_JWKS_URL: oidc.jwksUrl,
      MESHFLEET_OIDC_GROUP_ROLES: 'platform-admins=ADMIN,platform=EDITOR,viewers=VIEWER',
      MESHFLEET_OIDC_GROUP_ORGANIZATION: 'grouped',
    });
    ({ apiKey: admin, organizationId: orgId } = await api.newOrg('grouped'));
    await api.newOrg('not-mapped');
  });
  after(async () => {
    await api.close();
    await oidc.close();
  });

  it('lets a first sign-in with a mapped group in, with the highest mapped role, and audits the membership', async () => {
    const token = await oidc.sign({
      sub: 'dana',
      email: 'dana@example.com',
      groups: ['viewers', 'platform', 'x'],
    });
    const r = await viewer(token);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.deepEqual(r.data!.viewer, { role: 'EDITOR', kind: 'USER', organization: { id: orgId } });
    assert.deepEqual(
      (await members()).filter((m) => m.subject === 'dana'),
      [{ subject: 'dana', role: 'EDITOR', viaOidcGroups: true }],
    );
    // Requests with the same groups do not write again.
    assert.equal((await viewer(token)).errors, undefined);
    const added = (await audited('member.add')).filter((e: any) => e.metadata.subject === 'dana');
    assert.equal(added.length, 1);
    assert.equal(added[0].actorType, 'USER');
    assert.equal(added[0].actorName, 'dana@example.com');
    assert.deepEqual(added[0].metadata, {
      subject: 'dana',
      via: 'oidc-groups',
      groups: ['viewers', 'platform'],
      role: 'EDITOR',
    });
  });

  it("follows the user's groups at the next sign-in: role raised, then removed with the last mapped group", async () => {
    const up = await viewer(await oidc.sign({ sub: 'dana', groups: ['platform-admins'] }));
    assert.equal(up.data?.viewer.role, 'ADMIN', JSON.stringify(up.errors));
    const raised = (await audited('member.update-role')).filter((e: any) => e.metadata.subject === 'dana');
    assert.equal(raised.length, 1);
    assert.equal(raised[0].metadata.from, 'EDITOR');
    assert.equal(raised[0].metadata.to, 'ADMIN');

    const gone = await viewer(await oidc.sign({ sub: 'dana', groups: ['somewhere-else'] }));
    assert.equal(errorCode(gone), 'FORBIDDEN');
    assert.match(gone.errors![0]!.message, /not a member of any organization/);
    assert.deepEqual(
      (await members()).filter((m) => m.subject === 'dana'),
      [],
    );
    const removed = (await audited('member.remove')).filter((e: any) => e.metadata.subject === 'dana');
    assert.equal(removed.length, 1);
    assert.equal(removed[0].metadata.reason, 'no mapped group in the token');
  });

  it('refuses an unmapped user with the usual error and creates nothing', async () => {
    for (const claims of [{ groups: ['contractors'] }, {}, { groups: 'contractors' }]) {
      const r = await viewer(await oidc.sign({ sub: 'erin', ...claims }));
      assert.equal(errorCode(r), 'FORBIDDEN');
      assert.match(r.errors![0]!.message, /You are not a member of any organization/);
    }
    assert.equal(
      (await members()).some((m) => m.subject === 'erin'),
      false,
    );
  });

  it('reads a claim holding one group as a string; updateMemberRole makes the membership admin-made', async () => {
    const r = await viewer(await oidc.sign({ sub: 'frank', groups: 'viewers' }));
    assert.equal(r.data?.viewer.role, 'VIEWER', JSON.stringify(r.errors));
    const id = (await api.gql('{ members { id subject } }', {}, admin)).data!.members.find(
      (m: any) => m.subject === 'frank',
    ).id;
    const set = await api.gql(
      `mutation($id: ID!) { updateMemberRole(id: $id, role: EDITOR) { role viaOidcGroups } }`,
      { id },
      admin,
    );
    assert.deepEqual(
      set.data?.updateMemberRole,
      { role: 'EDITOR', viaOidcGroups: false },
      JSON.stringify(set.errors),
    );
    const later = await viewer(await oidc.sign({ sub: 'frank', groups: ['somewhere-else'] }));
    assert.equal(later.data?.viewer.role, 'EDITOR', 'the groups no longer decide');
  });

  it("never changes a membership an admin made, whatever the user's groups", async () => {
    const add = await api.gql(
      `mutation { addMember(input: { subject: "carol", role: VIEWER }) { id } }`,
      {},
      admin,
    );
    assert.equal(add.errors, undefined, JSON.stringify(add.errors));
    const r = await viewer(await oidc.sign({ sub: 'carol', groups: ['platform-admins'] }));
    assert.equal(r.data?.viewer.role, 'VIEWER', JSON.stringify(r.errors));
    const none = await viewer(await oidc.sign({ sub: 'carol', groups: [] }));
    assert.equal(none.data?.viewer.role, 'VIEWER', 'not removed either');
    assert.deepEqual(
      (await members()).filter((m) => m.subject === 'carol'),
      [{ subject: 'carol', role: 'VIEWER', viaOidcGroups: false }],
    );
  });
});
