import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SimCluster } from '../cluster/sim-cluster';
import { ObjectStore } from '../store/object-store';
import { KubeObject } from '../store/types';
import { WorkloadView, workloadOf } from '../linkerd/proxy-metrics';
import { UsageModel } from './usage-model';

const pod = (ns: string, workload: string, i: number, meshed = true): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: `${workload}-abc12-${i}`,
    namespace: ns,
    labels: { app: workload, 'pod-template-hash': 'abc12' },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${workload}-abc12`, uid: 'u', controller: true },
    ],
  },
  spec: { containers: [...(meshed ? [{ name: 'linkerd-proxy' }] : []), { name: workload }] },
  status: { phase: 'Running', startTime: '2026-01-01T00:00:00Z' },
});

/** A usage model over a bare store, counting the workload lookups it makes. */
function model(pods: KubeObject[]) {
  const store = new ObjectStore();
  for (const p of pods) store.put('/pods', p);
  const lookups: string[] = [];
  const workload = (ref: string): WorkloadView => {
    lookups.push(ref);
    const [namespace, name] = ref.split('/') as [string, string];
    return {
      namespace,
      name,
      pods: store.list('/pods', namespace).filter((p) => workloadOf(p) === name),
      port: 8080,
    };
  };
  const edges = [
    { from: 'shop/web', to: 'shop/api', rps: 30, connections: 2, successRate: 1 },
    { from: 'shop/api', to: 'shop/db', rps: 12, connections: 1, successRate: 1 },
  ];
  const usage = new UsageModel({ store } as unknown as SimCluster, edges, workload);
  return { usage, lookups, pods: store.list('/pods') };
}

describe('usage model', () => {
  it('gives a batch of pods the same usage as one pod at a time, looking each workload up once', () => {
    const all = [
      ...[0, 1, 2].map((i) => pod('shop', 'web', i)),
      ...[0, 1].map((i) => pod('shop', 'api', i)),
      pod('shop', 'db', 0, false),
    ];
    const { usage, lookups, pods } = model(all);
    const now = Date.parse('2026-01-01T01:00:00Z');
    const one = pods.map((p) => usage.podUsage(p, now));
    const perPodLookups = lookups.splice(0).length;
    const batch = usage.podsUsage(pods, now);
    assert.deepEqual(batch, one);
    assert.deepEqual(new Set(lookups).size, lookups.length, `repeated lookups: ${lookups.join(', ')}`);
    assert.deepEqual([...lookups].sort(), ['shop/api', 'shop/db', 'shop/web']);
    assert.ok(perPodLookups > lookups.length);
    // api: 30 rps in (shared by 2 pods) and 12 out; 2 connections from each of 3 web pods, 1 to db.
    const api = usage.traffic(pods.find((p) => workloadOf(p) === 'api')!);
    assert.deepEqual(api, { rps: 21, connections: 7 });
  });
});
