// The controllers behind the API: nodes, rollouts, DaemonSets, StatefulSets, Jobs, readiness delay.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type ClusterHandle, type KubeObject, type Simulator } from '../src';
import { call, deployment, eventually, smallCluster } from './helpers';

type Obj = KubeObject & { spec: Record<string, unknown>; status?: Record<string, unknown> };

describe('cluster model', () => {
  let sim: Simulator;
  let c: ClusterHandle;

  const get = async (path: string): Promise<Obj> => (await call(sim, c, 'GET', path)).json<Obj>();
  const list = async (path: string): Promise<Obj[]> =>
    (await call(sim, c, 'GET', path)).json<{ items: Obj[] }>().items;

  before(async () => {
    sim = await startSimulator({
      scenario: {
        clusters: [
          smallCluster('model', { nodes: 3, podReadyDelayMs: 40 }),
          { name: 'aks', provider: 'aks', region: 'westeurope', nodes: 1 },
          { name: 'gke', provider: 'gke', region: 'europe-west1', nodes: 1 },
          { name: 'metal', provider: 'onprem', region: 'dc1', nodes: 1 },
          smallCluster('slow', { podReadyDelayMs: 400, nodes: 1 }),
        ],
      },
    });
    c = sim.cluster('model');
  });
  after(() => sim.close());

  it('names nodes with provider IDs and topology labels per provider', async () => {
    const expectations: Array<[string, RegExp | undefined]> = [
      ['model', /^aws:\/\/\/us-east-1[abc]\/i-/],
      ['aks', /^azure:\/\/\/subscriptions\//],
      ['gke', /^gce:\/\/meshfleet-sim\//],
      ['metal', undefined],
    ];
    for (const [name, re] of expectations) {
      const nodes = (await call(sim, sim.cluster(name), 'GET', '/api/v1/nodes')).json<{ items: Obj[] }>()
        .items;
      const node = nodes[0]!;
      const providerID = node.spec['providerID'] as string | undefined;
      if (re) assert.match(providerID ?? '', re, name);
      else assert.equal(providerID, undefined);
      assert.ok(node.metadata.labels?.['topology.kubernetes.io/region'], name);
      assert.ok(node.metadata.labels?.['topology.kubernetes.io/zone'], name);
    }
  });

  it('rolls a Deployment within maxSurge/maxUnavailable and reports the conditions rollout status reads', async () => {
    await call(
      sim,
      c,
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      deployment('roll', 'default', 4, {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    );
    await eventually(
      async () =>
        (await get('/apis/apps/v1/namespaces/default/deployments/roll')).status?.['availableReplicas'] === 4,
      10_000,
      'initial rollout',
    );
    let maxPods = 0;
    let minReady = Infinity;
    const podsOf = (): KubeObject[] =>
      c.model.store.list('/pods', 'default').filter((p) => p.metadata.labels?.['app'] === 'roll');
    const unsubscribe = c.model.store.subscribe(() => {
      const pods = podsOf();
      maxPods = Math.max(maxPods, pods.length);
      const ready = pods.filter((p) =>
        (
          (p['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ??
          []
        ).some((x) => x.type === 'Ready' && x.status === 'True'),
      ).length;
      minReady = Math.min(minReady, ready);
    });
    await call(
      sim,
      c,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/roll',
      {
        spec: {
          template: {
            metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } },
          },
        },
      },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    const done = await eventually(
      async () => {
        const d = await get('/apis/apps/v1/namespaces/default/deployments/roll');
        const s = d.status ?? {};
        return s['observedGeneration'] === 2 &&
          s['updatedReplicas'] === 4 &&
          s['replicas'] === 4 &&
          s['availableReplicas'] === 4
          ? d
          : undefined;
      },
      15_000,
      'rollout to finish',
    );
    unsubscribe();
    assert.ok(maxPods <= 5, `surge exceeded: ${maxPods} pods`);
    assert.ok(minReady >= 4, `availability dropped to ${minReady}`);
    const conditions = (done.status?.['conditions'] ?? []) as Array<{
      type: string;
      status: string;
      reason: string;
    }>;
    assert.ok(conditions.some((x) => x.type === 'Available' && x.status === 'True'));
    assert.ok(conditions.some((x) => x.type === 'Progressing' && x.reason === 'NewReplicaSetAvailable'));
    assert.equal(done.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    const rs = await list('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Droll');
    assert.equal(rs.length, 2);
  });

  it('records the events controllers and the kubelet emit', async () => {
    const events = (
      await call(sim, c, 'GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Droll')
    ).json<{ items: Array<{ reason: string; involvedObject: { kind: string } }> }>().items;
    assert.ok(events.some((e) => e.reason === 'ScalingReplicaSet' && e.involvedObject.kind === 'Deployment'));
    const all = (await call(sim, c, 'GET', '/api/v1/namespaces/default/events'))
      .json<{ items: Array<{ reason: string }> }>()
      .items.map((e) => e.reason);
    for (const reason of ['SuccessfulCreate', 'Scheduled', 'Started'])
      assert.ok(all.includes(reason), reason);
  });

  it('runs one DaemonSet pod per node', async () => {
    const ds = { ...deployment('agent', 'default', 1), kind: 'DaemonSet' };
    delete (ds.spec as Record<string, unknown>)['replicas'];
    await call(sim, c, 'POST', '/apis/apps/v1/namespaces/default/daemonsets', ds);
    const pods = await eventually(
      async () => {
        const p = await list('/api/v1/namespaces/default/pods?labelSelector=app%3Dagent');
        return p.length === 3 ? p : undefined;
      },
      10_000,
      'three daemon pods',
    );
    assert.equal(new Set(pods.map((p) => p.spec['nodeName'])).size, 3);
    await eventually(
      async () =>
        (await get('/apis/apps/v1/namespaces/default/daemonsets/agent')).status?.['numberReady'] === 3,
      10_000,
      'daemonset ready',
    );
  });

  it('gives StatefulSet pods ordinal names and completes Jobs', async () => {
    const sts = { ...deployment('db', 'default', 2), kind: 'StatefulSet' };
    await call(sim, c, 'POST', '/apis/apps/v1/namespaces/default/statefulsets', sts);
    await eventually(
      async () => (await call(sim, c, 'GET', '/api/v1/namespaces/default/pods/db-1')).status === 200,
      10_000,
      'db-1',
    );
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once' },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'once', image: 'busybox' }] } },
      },
    };
    await call(sim, c, 'POST', '/apis/batch/v1/namespaces/default/jobs', job);
    const done = await eventually(
      async () => {
        const j = await get('/apis/batch/v1/namespaces/default/jobs/once');
        return j.status?.['succeeded'] === 1 ? j : undefined;
      },
      10_000,
      'job complete',
    );
    assert.ok((done.status?.['conditions'] as Array<{ type: string }>).some((x) => x.type === 'Complete'));
  });

  it('keeps pods unready until the configured delay has passed', async () => {
    const slow = sim.cluster('slow');
    const started = Date.now();
    await call(
      sim,
      slow,
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      deployment('patient', 'default', 1),
    );
    const readyAt = await eventually(
      async () => {
        const d = (
          await call(sim, slow, 'GET', '/apis/apps/v1/namespaces/default/deployments/patient')
        ).json<Obj>();
        return d.status?.['readyReplicas'] === 1 ? Date.now() : undefined;
      },
      10_000,
      'slow pod ready',
    );
    assert.ok(readyAt - started >= 380, `ready after ${readyAt - started} ms`);
  });

  it('fills Endpoints from ready pods behind a Service', async () => {
    await call(sim, c, 'POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'roll' },
      spec: { selector: { app: 'roll' }, ports: [{ port: 80 }] },
    });
    const ep = await eventually(
      async () => {
        const e = await call(sim, c, 'GET', '/api/v1/namespaces/default/endpoints/roll');
        const subsets =
          e.status === 200 ? (e.json<{ subsets: Array<{ addresses?: unknown[] }> }>().subsets ?? []) : [];
        return subsets[0]?.addresses?.length === 4 ? subsets : undefined;
      },
      10_000,
      'endpoints',
    );
    assert.equal(ep.length, 1);
  });
});
