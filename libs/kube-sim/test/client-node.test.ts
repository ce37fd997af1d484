// The real @kubernetes/client-node against the simulator: typed APIs, object API with
// server-side apply, Watch and informers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startSimulator, type ClusterHandle, type Simulator } from '../src';
import { deployment, eventually, smallCluster } from './helpers';

describe('@kubernetes/client-node against the simulator', () => {
  let sim: Simulator;
  let c: ClusterHandle;
  let kc: k8s.KubeConfig;

  before(async () => {
    sim = await startSimulator({
      scenario: { clusters: [smallCluster('client', { provider: 'aks', nodes: 3 })] },
    });
    c = sim.cluster('client');
    kc = new k8s.KubeConfig();
    kc.loadFromString(c.kubeconfig());
  });
  after(() => sim.close());

  it('lists nodes with provider IDs and topology labels through CoreV1Api', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const nodes = await core.listNode();
    assert.equal(nodes.items.length, 3);
    for (const n of nodes.items) {
      assert.match(n.spec?.providerID ?? '', /^azure:\/\//);
      assert.ok(n.metadata?.labels?.['topology.kubernetes.io/zone']);
    }
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    assert.equal(version.gitVersion, 'v1.31.4');
  });

  it('creates a Deployment with AppsV1Api and sees it become available', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('typed', 'default', 2) as k8s.V1Deployment,
    });
    const ready = await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'typed' });
        return d.status?.availableReplicas === 2 ? d : undefined;
      },
      10_000,
      'deployment available',
    );
    assert.equal(ready.status?.observedGeneration, 1);
    const pods = await kc
      .makeApiClient(k8s.CoreV1Api)
      .listNamespacedPod({ namespace: 'default', labelSelector: 'app=typed' });
    assert.equal(pods.items.length, 2);
    assert.ok(
      pods.items.every((p) => p.metadata?.labels?.['pod-template-hash'] && p.status?.phase === 'Running'),
    );
  });

  it('surfaces metav1.Status errors as ApiException codes', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await assert.rejects(
      core.readNamespacedConfigMap({ namespace: 'default', name: 'missing' }),
      (e: unknown) => e instanceof k8s.ApiException && e.code === 404,
    );
  });

  it('applies with server-side apply through KubernetesObjectApi and records the field manager', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const spec = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace: 'default' },
      data: { a: '1' },
    };
    await objects.patch(
      spec,
      undefined,
      undefined,
      'meshfleet-agent',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    const again = await objects.patch(
      { ...spec, data: { a: '2' } },
      undefined,
      undefined,
      'meshfleet-agent',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.equal((again as k8s.V1ConfigMap).data?.['a'], '2');
    const read = (await objects.read({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace: 'default' },
    })) as k8s.V1ConfigMap;
    assert.deepEqual(
      read.metadata?.managedFields?.map((m) => m.manager),
      ['meshfleet-agent'],
    );
  });

  it('streams watch events to Watch', async () => {
    const watch = new k8s.Watch(kc);
    const seen: string[] = [];
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      {},
      (type, obj: k8s.V1ConfigMap) => {
        if (obj.metadata?.name === 'watched') seen.push(type);
      },
      () => undefined,
    );
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'watched' } } });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'watched' });
    await eventually(() => seen.includes('DELETED'), 5000, 'DELETED event');
    controller.abort();
    assert.deepEqual(seen, ['ADDED', 'DELETED']);
  });

  it('keeps an informer cache in sync', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(
      kc,
      '/api/v1/namespaces/default/pods',
      () => core.listNamespacedPod({ namespace: 'default' }),
      'app=inf',
    );
    const added: string[] = [];
    informer.on('add', (p) => added.push(p.metadata?.name ?? ''));
    await informer.start();
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('inf', 'default', 2) as k8s.V1Deployment,
    });
    await eventually(
      () => informer.list('default').filter((p) => p.status?.phase === 'Running').length === 2,
      10_000,
      'informer sees 2 running pods',
    );
    await informer.stop();
    assert.equal(added.length, 2);
  });
});
