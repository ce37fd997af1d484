// apiregistration.k8s.io/v1 APIServices through @kubernetes/client-node: discovery, the built-in
// Local ones, a watch, server-side apply, and the Available condition following the Service,
// its Endpoints and the readiness of the pods behind them, as the kube-aggregator reports it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startSimulator, type ClusterHandle, type Simulator } from '../src';
import { deployment, eventually, smallCluster } from './helpers';

const TAP = 'v1alpha1.tap.example.io';

describe('APIServices', () => {
  let sim: Simulator;
  let c: ClusterHandle;
  let kc: k8s.KubeConfig;
  let api: k8s.ApiregistrationV1Api;

  const available = (name = TAP) =>
    api.readAPIServiceStatus({ name }).then((a) => a.status?.conditions?.find((x) => x.type === 'Available'));
  const reasonBecomes = (reason: string) =>
    eventually(
      async () => ((await available())?.reason === reason ? available() : undefined),
      10_000,
      reason,
    );

  before(async () => {
    sim = await startSimulator({ scenario: { clusters: [smallCluster('aggregated')] } });
    c = sim.cluster('aggregated');
    kc = new k8s.KubeConfig();
    kc.loadFromString(c.kubeconfig());
    api = kc.makeApiClient(k8s.ApiregistrationV1Api);
  });
  after(() => sim.close());

  it('is discoverable, with Local APIServices for the built-in groups', async () => {
    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    assert.ok(groups.groups.some((g) => g.name === 'apiregistration.k8s.io'));
    const resources = await api.getAPIResources();
    const names = resources.resources.map((r) => `${r.name}:${r.namespaced}`);
    assert.deepEqual(names.sort(), ['apiservices/status:false', 'apiservices:false']);
    for (const name of ['v1.', 'v1.apps']) {
      const cond = await eventually(() => available(name), 5_000, `${name} Available`);
      assert.equal(cond.status, 'True');
      assert.equal(cond.reason, 'Local');
    }
  });

  it('reports ServiceNotFound, MissingEndpoints, then Passed once the pods behind the Service are Ready', async () => {
    const seen: string[] = [];
    const watch = await new k8s.Watch(kc).watch(
      '/apis/apiregistration.k8s.io/v1/apiservices',
      { fieldSelector: `metadata.name=${TAP}` },
      (type: string, obj: k8s.V1APIService) => {
        const reason = obj.status?.conditions?.find((x) => x.type === 'Available')?.reason;
        seen.push(`${type}:${reason ?? '-'}`);
      },
      () => undefined,
    );
    try {
      // Server-side apply, as `kubectl apply --server-side` and the agent send it.
      const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
      await objects.patch(
        {
          apiVersion: 'apiregistration.k8s.io/v1',
          kind: 'APIService',
          metadata: { name: TAP },
          spec: {
            group: 'tap.example.io',
            version: 'v1alpha1',
            groupPriorityMinimum: 1000,
            versionPriority: 100,
            service: { name: 'tap', namespace: 'default' },
          },
        } as k8s.KubernetesObject,
        undefined,
        undefined,
        'test',
        true,
        k8s.PatchStrategy.ServerSideApply,
      );
      const notFound = await reasonBecomes('ServiceNotFound');
      assert.equal(notFound.status, 'False');
      assert.equal(notFound.message, 'service/tap in "default" is not present');

      const core = kc.makeApiClient(k8s.CoreV1Api);
      await core.createNamespacedService({
        namespace: 'default',
        body: {
          metadata: { name: 'tap' },
          spec: { selector: { app: 'tap' }, ports: [{ name: 'apiserver', port: 443, targetPort: 8089 }] },
        },
      });
      const missing = await reasonBecomes('MissingEndpoints');
      assert.equal(missing.status, 'False');
      assert.equal(
        missing.message,
        'endpoints for service/tap in "default" have no addresses with port name "apiserver"',
      );

      await kc.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({
        namespace: 'default',
        body: deployment('tap', 'default', 1) as k8s.V1Deployment,
      });
      const passed = await reasonBecomes('Passed');
      assert.equal(passed.status, 'True');
      assert.equal(passed.message, 'all checks passed');

      await core.deleteNamespacedService({ namespace: 'default', name: 'tap' });
      assert.equal((await reasonBecomes('ServiceNotFound')).status, 'False');
      await eventually(() => seen.includes('MODIFIED:Passed'), 5_000, 'watch to see Passed');
      assert.equal(seen[0]?.startsWith('ADDED'), true);
    } finally {
      watch.abort();
    }
  });

  it('reports ServicePortError when the Service does not listen on the APIService port', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: 'metrics' },
        spec: { selector: { app: 'metrics' }, ports: [{ port: 8443 }] },
      },
    });
    await api.createAPIService({
      body: {
        metadata: { name: 'v1beta1.metrics.example.io' },
        spec: {
          group: 'metrics.example.io',
          version: 'v1beta1',
          groupPriorityMinimum: 100,
          versionPriority: 100,
          service: { name: 'metrics', namespace: 'default' },
        },
      },
    });
    const cond = await eventually(
      async () => {
        const x = await available('v1beta1.metrics.example.io');
        return x?.reason === 'ServicePortError' ? x : undefined;
      },
      5_000,
      'ServicePortError',
    );
    assert.equal(cond.message, 'service/metrics in "default" is not listening on port 443');
  });

  it('rejects a name that is not <version>.<group>', async () => {
    await assert.rejects(
      api.createAPIService({
        body: {
          metadata: { name: 'tap' },
          spec: { group: 'tap.example.io', version: 'v1', groupPriorityMinimum: 1, versionPriority: 1 },
        },
      }),
      (e: unknown) => (e as { code?: number }).code === 422,
    );
  });
});
