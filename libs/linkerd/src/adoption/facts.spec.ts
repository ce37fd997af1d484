import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdoptionFactsSchema, jsonByteLength } from '@meshfleet/agent-protocol';
import { healthyCluster, NOW } from '../testing/cluster.fixture';
import { makePki, type TestPki } from '../testing/pki.fixture';
import type { ClusterSnapshot } from '../snapshot';
import { adoptionFacts, selectorMatches } from './facts';

function withAdoptionObjects(s: ClusterSnapshot): ClusterSnapshot {
  const template = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    metadata: { labels, annotations: { 'config.linkerd.io/skip-outbound-ports': '25' } },
    spec: {
      containers: [
        {
          name: 'c',
          ports: [{ containerPort: 5432 }, { containerPort: 5432 }, { containerPort: 53, protocol: 'UDP' }],
        },
      ],
      ...extra,
    },
  });
  return {
    ...s,
    namespaces: [
      ...s.namespaces,
      {
        metadata: {
          name: 'data',
          annotations: {
            'linkerd.io/inject': 'enabled',
            'config.linkerd.io/opaque-ports': '7000',
            'config.linkerd.io/default-inbound-policy': 'deny',
          },
        },
      },
      { metadata: { name: 'linkerd-viz', labels: { 'linkerd.io/extension': 'viz' } } },
    ],
    statefulSets: [
      {
        metadata: { namespace: 'data', name: 'pg' },
        spec: {
          serviceName: 'pg',
          selector: {},
          replicas: 1,
          template: template({ app: 'pg' }),
          updateStrategy: { rollingUpdate: { maxUnavailable: 1 } },
        },
        status: { replicas: 1, readyReplicas: 1 },
      },
    ],
    daemonSets: [
      ...s.daemonSets,
      {
        metadata: { namespace: 'data', name: 'node-agent' },
        spec: {
          selector: {},
          template: template({ app: 'na' }, { hostNetwork: true, automountServiceAccountToken: false }),
        },
        status: {
          numberReady: 2,
          currentNumberScheduled: 2,
          desiredNumberScheduled: 2,
          numberMisscheduled: 0,
        },
      },
    ],
    cronJobs: [
      {
        metadata: { namespace: 'data', name: 'backup' },
        spec: { schedule: '@daily', jobTemplate: { spec: { template: template({ app: 'backup' }) } } },
      },
    ],
    jobs: [
      {
        metadata: {
          namespace: 'data',
          name: 'backup-1',
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'backup', uid: 'u' }],
        },
        spec: { template: template({ app: 'backup' }) },
      },
      { metadata: { namespace: 'data', name: 'migrate' }, spec: { template: template({ app: 'migrate' }) } },
    ],
    podDisruptionBudgets: [
      {
        metadata: { namespace: 'data', name: 'pg' },
        spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['pg'] }] } },
        status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 },
      },
    ],
  };
}

describe('adoptionFacts', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki(NOW);
  });

  it('lists the application namespaces with each workload kind, its ports, PDB and annotations', () => {
    const f = AdoptionFactsSchema.parse(adoptionFacts(withAdoptionObjects(healthyCluster(pki))));
    assert.deepEqual(f.linkerdNamespaces, ['linkerd', 'linkerd-viz']);
    assert.deepEqual(f.unreadKinds, []);
    assert.ok(!f.namespaces.some((n) => ['linkerd', 'linkerd-viz', 'kube-system'].includes(n.name)));
    const data = f.namespaces.find((n) => n.name === 'data')!;
    assert.equal(data.inject, 'enabled');
    assert.equal(data.opaquePorts, '7000');
    assert.equal(data.inboundPolicy, 'deny', "the namespace's default inbound policy");
    assert.equal(f.namespaces.find((n) => n.name === 'legacy')!.inboundPolicy, null);
    assert.deepEqual(
      data.workloads.map((w) => `${w.kind}/${w.name}`),
      ['CronJob/backup', 'DaemonSet/node-agent', 'Job/migrate', 'StatefulSet/pg'],
    );
    const pg = data.workloads.find((w) => w.name === 'pg')!;
    assert.deepEqual(pg.ports, [
      { port: 5432, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
    ]);
    assert.deepEqual(pg.pdb, { name: 'pg', disruptionsAllowed: 0 });
    assert.equal(pg.replicas, 1);
    assert.equal(pg.maxUnavailable, 1);
    assert.equal(pg.skipOutboundPorts, '25');
    const na = data.workloads.find((w) => w.name === 'node-agent')!;
    assert.deepEqual([na.hostNetwork, na.automountToken, na.replicas, na.pdb], [true, false, null, null]);
    const legacy = f.namespaces.find((n) => n.name === 'legacy')!;
    assert.deepEqual(
      legacy.workloads.map((w) => [w.name, w.totalPods, w.meshedPods]),
      [['api', 2, 0]],
    );
  });

  it('reads the injector: webhook policy (Kubernetes defaults to Fail) and availability', () => {
    const s = healthyCluster(pki);
    assert.deepEqual(adoptionFacts(s).injector, { failurePolicy: 'Fail', available: true });
    const down: ClusterSnapshot = {
      ...s,
      mutatingWebhooks: s.mutatingWebhooks.map((m) => ({
        ...m,
        webhooks: m.webhooks?.map((w) => ({ ...w, failurePolicy: 'Ignore' })),
      })),
      deployments: s.deployments.map((d) =>
        d.metadata?.name === 'linkerd-proxy-injector' ? { ...d, status: { availableReplicas: 0 } } : d,
      ),
    };
    assert.deepEqual(adoptionFacts(down).injector, { failurePolicy: 'Ignore', available: false });
    assert.deepEqual(adoptionFacts({ ...s, mutatingWebhooks: [] }).injector.failurePolicy, null);
    // The base fixture has no StatefulSet/Job/CronJob/PDB lists: an agent that cannot read them.
    assert.deepEqual(adoptionFacts(s).unreadKinds, ['StatefulSet', 'Job', 'CronJob', 'PodDisruptionBudget']);
  });

  it('stays small: a few hundred bytes per workload', () => {
    const f = adoptionFacts(withAdoptionObjects(healthyCluster(pki)));
    const workloads = f.namespaces.reduce((a, n) => a + n.workloads.length, 0);
    assert.ok(jsonByteLength(f) < 400 * workloads + 500, `${jsonByteLength(f)} bytes for ${workloads}`);
  });
});

describe('selectorMatches', () => {
  it('matches labels and expressions; no selector matches nothing', () => {
    assert.equal(selectorMatches({ matchLabels: { a: '1' } }, { a: '1', b: '2' }), true);
    assert.equal(selectorMatches({ matchLabels: { a: '1' } }, { a: '2' }), false);
    assert.equal(
      selectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, { a: '1' }),
      false,
    );
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {}), true);
    assert.equal(selectorMatches({}, { a: '1' }), true);
    assert.equal(selectorMatches(undefined, { a: '1' }), false);
  });

  it("adoption facts read the cluster's default inbound policy from linkerd-config", async () => {
    const s = healthyCluster(await makePki(NOW));
    assert.equal(adoptionFacts(s).defaultInboundPolicy, null, 'the fixture does not say');
    const cm = s.configMaps.find((c) => c.metadata?.name === 'linkerd-config')!;
    cm.data = { values: `${cm.data!['values']}\nproxy:\n  defaultInboundPolicy: cluster-authenticated\n` };
    assert.equal(adoptionFacts(s).defaultInboundPolicy, 'cluster-authenticated');
  });
});
