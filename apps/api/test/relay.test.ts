// Relay conventions at the GraphQL level: PageInfo's four fields on forward pagination, and
// node(id) for the main types, with the ids the types already expose, scoped to the caller's
// organization (another organization's id answers null, as an unknown one does).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { PrismaService } from '@meshfleet/db';
import { startApi, type TestApi } from './harness';

describe('Relay: PageInfo and node(id)', () => {
  let api: TestApi;
  let a: { organizationId: string; apiKey: string };
  let b: { organizationId: string; apiKey: string };
  const clusterIds: string[] = [];

  const ok = async (query: string, variables: Record<string, unknown>, key: string) => {
    const r = await api.gql(query, variables, key);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!;
  };

  before(async () => {
    api = await startApi({
      MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    });
    a = await api.newOrg('relay-a');
    b = await api.newOrg('relay-b');
    for (const name of ['c-1', 'c-2', 'c-3', 'c-4', 'c-5']) {
      const d = await ok(
        `mutation($n: String!) { registerCluster(input: { name: $n, provider: EKS }) { cluster { id } } }`,
        { n: name },
        a.apiKey,
      );
      clusterIds.push(d.registerCluster.cluster.id);
    }
  });
  after(async () => api?.close());

  const PAGE = `query($after: String) { clusters(first: 2, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } }`;

  it('clusters (keyset by name): start/end cursors, hasPreviousPage only after a cursor, hasNextPage until the end', async () => {
    const pages: any[] = [];
    let after: string | null = null;
    for (;;) {
      const c: any = (await ok(PAGE, { after }, a.apiKey)).clusters;
      pages.push(c);
      if (!c.pageInfo.hasNextPage) break;
      after = c.pageInfo.endCursor;
    }
    assert.deepEqual(
      pages.map((p) => p.edges.map((e: any) => e.node.name)),
      [['c-1', 'c-2'], ['c-3', 'c-4'], ['c-5']],
    );
    assert.deepEqual(
      pages.map((p) => [p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage]),
      [
        [false, true],
        [true, true],
        [true, false],
      ],
    );
    for (const p of pages) {
      assert.equal(p.pageInfo.startCursor, p.edges[0].cursor);
      assert.equal(p.pageInfo.endCursor, p.edges.at(-1).cursor);
    }
    // Past the end: an empty page whose cursors are null, with rows before it.
    const end: any = (await ok(PAGE, { after: pages[2].pageInfo.endCursor }, a.apiKey)).clusters;
    assert.deepEqual(end.edges, []);
    assert.deepEqual(end.pageInfo, {
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: null,
      endCursor: null,
    });
  });

  it('a newest-first list (audit events) has the same PageInfo semantics', async () => {
    const Q = `query($after: String) { auditEvents(first: 3, after: $after) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } }`;
    const first: any = (await ok(Q, { after: null }, a.apiKey)).auditEvents;
    assert.equal(first.pageInfo.hasPreviousPage, false);
    assert.equal(first.pageInfo.hasNextPage, true); // five registrations were audited
    assert.equal(first.pageInfo.startCursor, first.edges[0].cursor);
    const second: any = (await ok(Q, { after: first.pageInfo.endCursor }, a.apiKey)).auditEvents;
    assert.equal(second.pageInfo.hasPreviousPage, true);
    assert.notEqual(second.pageInfo.startCursor, first.pageInfo.endCursor);
  });

  it('node(id) answers Cluster, IdentityDomain, WebhookEndpoint and Alert by their ids; another organization gets null', async () => {
    const domain = (
      await ok(`mutation { createIdentityDomain(input: { name: "relay-mesh" }) { id } }`, {}, a.apiKey)
    ).createIdentityDomain.id;
    const endpoint = (
      await ok(
        `mutation { createWebhookEndpoint(input: { url: "https://hooks.example.invalid/x", eventTypes: ["alert.*"] }) { endpoint { id } } }`,
        {},
        a.apiKey,
      )
    ).createWebhookEndpoint.endpoint.id;
    const alert = await api.app.get(PrismaService).alert.create({
      data: {
        organizationId: a.organizationId,
        kind: 'AGENT_OFFLINE',
        fingerprint: 'relay-test',
        clusterId: clusterIds[0]!,
        subject: 'agent',
        severity: 'WARNING',
        summary: 'The agent of c-1 is offline',
      },
    });
    const NODE = `query($id: ID!) { node(id: $id) { __typename id
      ... on Cluster { name } ... on IdentityDomain { name } ... on WebhookEndpoint { url } ... on Alert { summary } } }`;
    const cases: [string, string, Record<string, unknown>][] = [
      [clusterIds[0]!, 'Cluster', { name: 'c-1' }],
      [domain, 'IdentityDomain', { name: 'relay-mesh' }],
      [endpoint, 'WebhookEndpoint', { url: 'https://hooks.example.invalid/x' }],
      [alert.id, 'Alert', { summary: 'The agent of c-1 is offline' }],
    ];
    for (const [id, type, fields] of cases) {
      const mine = (await ok(NODE, { id }, a.apiKey)).node;
      assert.deepEqual(mine, { __typename: type, id, ...fields }, type);
      // The typed query and node(id) agree on the id.
      const theirs = await api.gql(NODE, { id }, b.apiKey);
      assert.equal(theirs.errors, undefined, JSON.stringify(theirs.errors));
      assert.equal(theirs.data!.node, null, `${type} of another organization must not be visible`);
    }
    for (const id of [randomUUID(), 'not-an-id', '']) {
      const r = await api.gql(NODE, { id }, a.apiKey);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.equal(r.data!.node, null);
    }
    // Without credentials: refused like every other root field.
    const anon = await api.gql(NODE, { id: clusterIds[0] });
    assert.equal(anon.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
  });

  it('the main types implement Node in the schema', async () => {
    const r = await ok(`{ __type(name: "Node") { kind possibleTypes { name } } }`, {}, a.apiKey);
    assert.equal(r.__type.kind, 'INTERFACE');
    const names = r.__type.possibleTypes.map((t: any) => t.name).sort();
    for (const t of ['Alert', 'Cluster', 'IdentityDomain', 'Operation', 'Rollout', 'WebhookEndpoint'])
      assert.ok(names.includes(t), `${t} does not implement Node: ${names.join(', ')}`);
  });
});
