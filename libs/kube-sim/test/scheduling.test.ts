// The scheduler through @kubernetes/client-node: required pod anti-affinity on the hostname
// keeps a third replica Pending on a two-node cluster (FailedScheduling, as kube-scheduler
// says it), and a node that turns schedulable again takes the pod that waited.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startSimulator, type ClusterHandle, type Simulator } from '../src';
import { deployment, eventually, smallCluster } from './helpers';

const spread = (name: string, replicas: number) =>
  deployment(name, 'default', replicas, {
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [{ name, image: 'nginx:1.27' }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [name] }] },
                topologyKey: 'kubernetes.io/hostname',
              },
            ],
          },
        },
      },
    },
  });

describe('scheduling', () => {
  let sim: Simulator;
  let c: ClusterHandle;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;

  const podsOf = async (app: string) =>
    (await core.listNamespacedPod({ namespace: 'default', labelSelector: `app=${app}` })).items;

  before(async () => {
    sim = await startSimulator({ scenario: { clusters: [smallCluster('sched')] } });
    c = sim.cluster('sched');
    const kc = new k8s.KubeConfig();
    kc.loadFromString(c.kubeconfig());
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });
  after(() => sim.close());

  it('leaves a replica Pending when required anti-affinity finds no free host', async () => {
    await apps.createNamespacedDeployment({ namespace: 'default', body: spread('ha', 3) });
    const pods = await eventually(
      async () => {
        const ps = await podsOf('ha');
        const ready = ps.filter((p) =>
          p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
        );
        return ps.length === 3 && ready.length === 2 ? ps : undefined;
      },
      10_000,
      'two of three replicas Ready',
    );
    const nodes = new Set(pods.map((p) => p.spec?.nodeName).filter(Boolean));
    assert.equal(nodes.size, 2, 'one replica per node');
    const pending = pods.find((p) => !p.spec?.nodeName)!;
    assert.equal(pending.status?.phase, 'Pending');
    const cond = pending.status?.conditions?.find((x) => x.type === 'PodScheduled');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'Unschedulable');
    assert.match(
      cond?.message ?? '',
      /^0\/2 nodes are available: 2 node\(s\) didn't match pod anti-affinity rules\./,
    );
    const events = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: `involvedObject.name=${pending.metadata!.name}`,
    });
    assert.deepEqual(
      events.items.filter((e) => e.reason === 'FailedScheduling').map((e) => e.type),
      ['Warning'],
      'one FailedScheduling event, not one per retry',
    );
  });

  it('places a waiting pod once a cordoned node is schedulable again', async () => {
    const [first] = (await core.listNode()).items;
    const name = first!.metadata!.name!;
    const cordon = (unschedulable: boolean) =>
      core.patchNode(
        { name, body: { spec: { unschedulable } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      );
    await cordon(true);
    await apps.createNamespacedDeployment({ namespace: 'default', body: spread('wait', 2) });
    const waiting = await eventually(
      async () => {
        const ps = await podsOf('wait');
        const unbound = ps.filter((p) => !p.spec?.nodeName);
        return ps.length === 2 && unbound.length === 1 && unbound[0]!.status?.conditions?.length
          ? unbound[0]
          : undefined;
      },
      10_000,
      'one replica waiting',
    );
    assert.match(
      waiting.status!.conditions![0]!.message ?? '',
      /1 node\(s\) were unschedulable or not ready, 1 node\(s\) didn't match pod anti-affinity rules/,
    );
    await cordon(false);
    const placed = await eventually(
      async () => {
        const ps = await podsOf('wait');
        return ps.every((p) => p.spec?.nodeName) ? ps : undefined;
      },
      10_000,
      'both replicas placed',
    );
    assert.ok(placed.some((p) => p.spec?.nodeName === name));
  });

  it('ignores pods outside the namespaces a term names', async () => {
    await core.createNamespace({ body: { metadata: { name: 'other' } } });
    // A pod of the same label elsewhere does not repel: terms default to the pod's own namespace.
    await apps.createNamespacedDeployment({
      namespace: 'other',
      body: { ...spread('ha', 2), metadata: { name: 'ha', namespace: 'other' } },
    });
    const ps = await eventually(
      async () => {
        const items = (await core.listNamespacedPod({ namespace: 'other', labelSelector: 'app=ha' })).items;
        return items.length === 2 && items.every((p) => p.spec?.nodeName) ? items : undefined;
      },
      10_000,
      'both replicas in "other" placed',
    );
    assert.equal(new Set(ps.map((p) => p.spec?.nodeName)).size, 2);
  });
});
