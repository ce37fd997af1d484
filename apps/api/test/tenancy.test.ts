import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorCode } from '@meshfleet/testing';
import { startApi, TestApi } from './harness';

describe('tenant isolation', () => {
  let api: TestApi;
  let keyA: string;
  let keyB: string;
  let clusterA: string;

  before(async () => {
    api = await startApi();
    ({ apiKey: keyA } = await api.newOrg('tenant-a'));
    ({ apiKey: keyB } = await api.newOrg('tenant-b'));
    const r = await api.gql(
      `mutation { registerCluster(input: { name: "shared-name", provider: GKE, labels: { env: "prod" } }) { cluster { id } } }`,
      {},
      keyA,
    );
    clusterA = r.data!.registerCluster.cluster.id;
  });
  after(() => api.close());

  it("cannot read another organization's cluster by id: NOT_FOUND, not FORBIDDEN", async () => {
    const r = await api.gql(`query($id: ID!) { cluster(id: $id) { name } }`, { id: clusterA }, keyB);
    assert.equal(errorCode(r), 'NOT_FOUND');
  });

  it('cannot see it in lists, filters or the audit trail', async () => {
    const list = await api.gql(
      `{ clusters(filter: { labelSelector: "env=prod", includeDeregistered: true }) { totalCount edges { node { id } } } }`,
      {},
      keyB,
    );
    assert.equal(list.data!.clusters.totalCount, 0);
    const audit = await api.gql(`{ auditEvents { totalCount edges { node { targetId } } } }`, {}, keyB);
    assert.ok(!JSON.stringify(audit.data).includes(clusterA));
  });

  it('cannot update, rotate or deregister it', async () => {
    const upd = await api.gql(
      `mutation($id: ID!) { updateCluster(id: $id, input: { region: "x" }) { id } }`,
      { id: clusterA },
      keyB,
    );
    assert.equal(errorCode(upd), 'NOT_FOUND');
    const rot = await api.gql(
      `mutation($id: ID!) { rotateBootstrapToken(clusterId: $id) { agentManifest } }`,
      { id: clusterA },
      keyB,
    );
    assert.equal(errorCode(rot), 'NOT_FOUND');
    const del = await api.gql(
      `mutation($id: ID!) { deregisterCluster(id: $id) { id } }`,
      { id: clusterA },
      keyB,
    );
    assert.equal(errorCode(del), 'NOT_FOUND');
    const still = await api.gql(
      `query($id: ID!) { cluster(id: $id) { status region } }`,
      { id: clusterA },
      keyA,
    );
    assert.deepEqual(still.data!.cluster, { status: 'PENDING', region: null });
  });

  it('uses the same cluster name independently per organization', async () => {
    const r = await api.gql(
      `mutation { registerCluster(input: { name: "shared-name", provider: AKS }) { cluster { id } } }`,
      {},
      keyB,
    );
    assert.equal(r.errors, undefined);
  });

  it("cannot revoke another organization's API key", async () => {
    const keys = await api.gql(`{ apiKeys { id } }`, {}, keyA);
    const id = keys.data!.apiKeys[0].id;
    assert.equal(
      errorCode(await api.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id }, keyB)),
      'NOT_FOUND',
    );
  });
});
