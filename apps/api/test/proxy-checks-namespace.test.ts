// `linkerd check --proxy -n <ns>` through the API: Cluster.health(namespace:) narrows the --proxy
// categories of the last report to one namespace (derived from the agent's cluster-wide run).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleHealthReport } from '@meshfleet/agent-protocol';
import { startApi, TestApi } from './harness';
import { agentCall, registerAndEnroll } from './agent-http';

const OPAQUE_ERROR =
  '\t* service pg expects target port 5432 to be opaque; add it to pod pg-0 config.linkerd.io/opaque-ports annotation';

describe('health(namespace:) — check --proxy per namespace', () => {
  let api: TestApi;
  let key: string;
  let cluster: { id: string; credential: string };

  before(async () => {
    api = await startApi();
    ({ apiKey: key } = await api.newOrg('proxy-checks-ns'));
    cluster = await registerAndEnroll(api, key, { name: 'eks-prod' });
    const r = exampleHealthReport() as any;
    r.sequence = Date.now();
    r.generatedAt = new Date().toISOString();
    const shop = r.mtls.namespaces[0];
    r.mtls.namespaces.push({ ...shop, name: 'db', meshedPods: 1, totalPods: 1, workloads: [] });
    r.mtls.namespaces.push({ ...shop, name: 'legacy', meshedPods: 0, totalPods: 3, workloads: [] });
    r.checks.categories.push({
      name: 'linkerd-data-plane',
      checks: [
        {
          description: 'data plane proxies are ready',
          result: 'success',
          hintAnchor: 'l5d-data-plane-ready',
          fatal: true,
        },
        {
          description: 'opaque ports are properly annotated',
          result: 'warning',
          hintAnchor: 'linkerd-opaque-ports-definition',
          hint: 'https://linkerd.io/2/checks/#linkerd-opaque-ports-definition',
          error: OPAQUE_ERROR,
          fatal: false,
          namespaces: ['db'],
        },
      ],
    });
    assert.equal((await agentCall(api, 'POST', '/reports', cluster.credential, r)).status, 202);
  });
  after(async () => {
    await api?.close();
  });

  const health = async (namespace?: string) => {
    const r = await api.gql(
      `query($id: ID!, $ns: String) { cluster(id: $id) { health(namespace: $ns) {
        status warningCount
        categories { name checks { description result error namespaces } }
        notRun { category description }
        checkJson
      } } }`,
      { id: cluster.id, ns: namespace ?? null },
      key,
    );
    return r;
  };
  const dataPlane = (h: any) => h.categories.find((c: any) => c.name === 'linkerd-data-plane')?.checks;

  it('shows the cluster-wide run without the argument, with the namespaces a failure names', async () => {
    const r = await health();
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const h = r.data!.cluster.health;
    assert.deepEqual(dataPlane(h)[1], {
      description: 'opaque ports are properly annotated',
      result: 'WARNING',
      error: OPAQUE_ERROR,
      namespaces: ['db'],
    });
  });

  it('keeps a failure in the namespace it names, passes it elsewhere', async () => {
    const db = (await health('db')).data!.cluster.health;
    assert.equal(dataPlane(db)[1].result, 'WARNING');
    const shop = (await health('shop')).data!.cluster.health;
    assert.deepEqual(dataPlane(shop)[1], {
      description: 'opaque ports are properly annotated',
      result: 'SUCCESS',
      error: null,
      namespaces: null,
    });
    assert.equal(shop.checkJson.success, true);
    // status and counts stay the cluster's.
    assert.equal(shop.warningCount, db.warningCount);
    assert.equal(shop.status, db.status);
  });

  it('fails "proxies are ready" for a namespace with no meshed pod, and lists the rest as not run', async () => {
    const h = (await health('legacy')).data!.cluster.health;
    assert.deepEqual(dataPlane(h), [
      {
        description: 'data plane proxies are ready',
        result: 'ERROR',
        error: 'No "linkerd-proxy" containers found in the "legacy" namespace',
        namespaces: ['legacy'],
      },
    ]);
    assert.deepEqual(h.notRun, [
      { category: 'linkerd-data-plane', description: 'opaque ports are properly annotated' },
    ]);
    assert.equal(h.checkJson.success, false);
  });

  it('refuses a namespace that is not a Kubernetes name', async () => {
    const r = await health('Not A Namespace');
    assert.equal(r.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
  });
});
