// The provider an agent detects (nodes' spec.providerID) is stored and shown; a cluster
// registered as OTHER takes it, so the fleet summary counts it where it runs; a registration
// that contradicts the nodes is flagged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleEnrollRequest } from '@meshfleet/agent-protocol';
import { agentCall } from './agent-http';
import { startApi, type TestApi } from './harness';

describe('detected provider', () => {
  let api: TestApi;
  let key: string;

  const enrollAs = async (name: string, registered: string, detected: string) => {
    const reg = await api.gql(
      `mutation($n: String!, $p: CloudProvider!) { registerCluster(input: { name: $n, provider: $p }) { cluster { id } bootstrapToken { token } } }`,
      { n: name, p: registered },
      key,
    );
    assert.equal(reg.errors, undefined, JSON.stringify(reg.errors));
    const example = exampleEnrollRequest();
    const r = await agentCall(api, 'POST', '/enroll', undefined, {
      ...example,
      bootstrapToken: reg.data!.registerCluster.bootstrapToken.token,
      cluster: { ...example.cluster, provider: detected },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const c = await api.gql(
      `query($id: ID!) { cluster(id: $id) { provider detectedProvider providerWarning } }`,
      { id: reg.data!.registerCluster.cluster.id },
      key,
    );
    return c.data!.cluster;
  };

  before(async () => {
    api = await startApi();
    ({ apiKey: key } = await api.newOrg('providers'));
  });
  after(() => api.close());

  it('takes the detected cloud for a cluster registered as OTHER', async () => {
    assert.deepEqual(await enrollAs('was-other', 'OTHER', 'EKS'), {
      provider: 'EKS',
      detectedProvider: 'EKS',
      providerWarning: null,
    });
    const summary = await api.gql('{ fleetSummary { byProvider { provider total } } }', {}, key);
    const eks = summary.data!.fleetSummary.byProvider.find((p: any) => p.provider === 'EKS');
    assert.equal(eks?.total, 1, JSON.stringify(summary.data));
  });

  it('keeps the registration but flags nodes that say another cloud', async () => {
    assert.deepEqual(await enrollAs('says-gke', 'GKE', 'EKS'), {
      provider: 'GKE',
      detectedProvider: 'EKS',
      providerWarning: "registered as GKE, but the nodes' spec.providerID says EKS",
    });
  });

  it('says nothing when the nodes name no cloud', async () => {
    assert.deepEqual(await enrollAs('on-prem', 'ONPREM', 'OTHER'), {
      provider: 'ONPREM',
      detectedProvider: 'OTHER',
      providerWarning: null,
    });
  });
});
