// The scenario format and the shipped demo fleet.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { loadScenario, ScenarioError, startSimulator } from '../src';

const demo = join(resolve(__dirname, '../../../..'), 'libs/kube-sim/scenarios/demo.yaml');

describe('scenarios', () => {
  it('ships a demo fleet across AKS, EKS, GKE and on-prem with and without Linkerd', () => {
    const s = loadScenario(demo);
    assert.ok(s.clusters.length >= 4);
    assert.deepEqual([...new Set(s.clusters.map((c) => c.provider))].sort(), ['aks', 'eks', 'gke', 'onprem']);
    assert.ok(s.clusters.some((c) => c.linkerd));
    assert.ok(s.clusters.some((c) => !c.linkerd));
    for (const c of s.clusters) {
      const names = c.namespaces.flatMap((n) => n.workloads.map((w) => w.name));
      for (const w of ['web', 'emoji', 'voting', 'vote-bot'])
        assert.ok(names.includes(w), `${c.name} runs ${w}`);
    }
    const meshed = s.clusters.flatMap((c) => c.namespaces.map((n) => n.inject === 'enabled'));
    assert.ok(meshed.includes(true) && meshed.includes(false));
  });

  it('serves plain HTTP when TLS is off', async () => {
    const sim = await startSimulator({
      tls: false,
      scenario: { clusters: [{ name: 'plain', provider: 'onprem', nodes: 1 }] },
    });
    try {
      const c = sim.cluster('plain');
      assert.match(c.url, /^http:\/\//);
      const res = await fetch(`${c.url}/api/v1/nodes`, { headers: { Authorization: `Bearer ${c.token}` } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { items: unknown[] }).items.length, 1);
      assert.doesNotMatch(c.kubeconfig(), /certificate-authority-data/);
    } finally {
      await sim.close();
    }
  });

  it('reports every invalid field with its path', () => {
    assert.throws(
      () => loadScenario('clusters:\n  - name: Bad Name\n    provider: openstack\n'),
      (e: unknown) =>
        e instanceof ScenarioError &&
        e.issues.some((i) => i.startsWith('clusters.0.name')) &&
        e.issues.some((i) => i.startsWith('clusters.0.provider')),
    );
    assert.throws(() => loadScenario('clusters: [\n'), ScenarioError);
  });

  it('starts the demo fleet with meshed pods already injected where Linkerd is pre-installed', async () => {
    const sim = await startSimulator({ scenario: demo, podReadyDelayMs: 20 });
    try {
      const aks = sim.cluster('aks-prod-westeurope').model;
      const pods = aks.store.list('/pods', 'emojivoto');
      assert.equal(pods.length, 4);
      assert.ok(pods.every((p) => p.metadata.labels?.['linkerd.io/control-plane-ns'] === 'linkerd'));
      assert.equal(
        aks.store.list('/pods', 'batch')[0]?.metadata.labels?.['linkerd.io/control-plane-ns'],
        undefined,
      );
      const gke = sim.cluster('gke-staging-europe-west1').model;
      assert.ok(
        gke.store
          .list('/pods', 'emojivoto')
          .every((p) => !p.metadata.labels?.['linkerd.io/control-plane-ns']),
      );
      const ha = aks.store
        .list('apps/deployments', 'linkerd')
        .map((d) => (d['spec'] as { replicas: number }).replicas);
      assert.deepEqual(ha, [3, 3, 3]);
    } finally {
      await sim.close();
    }
  });
});
