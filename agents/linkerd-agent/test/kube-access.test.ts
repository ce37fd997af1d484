import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Simulator } from '@meshfleet/kube-sim';
import { KubeAccess } from '../src/kube/kube-access';
import { eventually, quietLog, startSim } from './sim-fixture';

describe('Kubernetes access façade on the simulator', () => {
  let sim: Simulator;
  let kube: KubeAccess;

  before(async () => {
    sim = await startSim();
    kube = new KubeAccess(
      {
        kubeconfigPath: null,
        kubeconfigYaml: sim.kubeconfigFor('meshed'),
        linkerdNamespaces: ['linkerd', 'linkerd-viz'],
      },
      quietLog,
    );
    kube.start();
  });
  after(async () => {
    await kube.stop();
    await sim.close();
  });

  it('syncs every informer and fills the snapshot with the cluster objects', async () => {
    assert.equal(await kube.waitForSync(AbortSignal.timeout(10_000)), true);
    assert.equal(kube.synced, true);
    await kube.refreshServerVersion();
    const s = kube.snapshot();
    assert.match(s.kubernetesVersion ?? '', /^v1\.31\.4/);
    const names = s.namespaces.map((n) => n.metadata?.name);
    for (const ns of ['linkerd', 'emojivoto', 'legacy', 'kube-system']) assert.ok(names.includes(ns), ns);
    assert.ok(s.configMaps.some((c) => c.metadata?.name === 'linkerd-config'));
    assert.ok(s.secrets.some((c) => c.metadata?.name === 'linkerd-identity-issuer'));
    assert.ok(
      s.configMaps.every(
        (c) => c.metadata?.namespace === 'linkerd' || c.metadata?.namespace === 'linkerd-viz',
      ),
    );
    assert.ok(s.crds.some((c) => c.metadata?.name?.endsWith('.linkerd.io')));
    assert.ok(s.mutatingWebhooks.some((w) => w.metadata?.name === 'linkerd-proxy-injector-webhook-config'));
    assert.ok(s.deployments.some((d) => d.metadata?.namespace === 'emojivoto' && d.metadata?.name === 'web'));
    const facts = kube.clusterFacts();
    assert.equal(facts.provider, 'EKS');
    assert.equal(facts.region, 'us-east-1');
    assert.equal(facts.nodeCount, 2);
  });

  it('sees new objects through the watch and signals the change', async () => {
    let changes = 0;
    const off = kube.onChange(() => changes++);
    const handle = sim.cluster('meshed');
    handle.model.objects.create(handle.model.type('', 'namespaces'), undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'added-later' },
    } as never);
    await eventually(
      () => kube.snapshot().namespaces.some((n) => n.metadata?.name === 'added-later'),
      (v) => v,
      5000,
      'namespace in cache',
    );
    assert.ok(changes > 0);
    off();
  });

  it('recovers after the API server drops every connection', async () => {
    const handle = sim.cluster('meshed');
    handle.faults.cutOff(true);
    await new Promise((r) => setTimeout(r, 1500));
    handle.faults.cutOff(false);
    handle.model.objects.create(handle.model.type('', 'namespaces'), undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'after-outage' },
    } as never);
    await eventually(
      () => kube.snapshot().namespaces.some((n) => n.metadata?.name === 'after-outage'),
      (v) => v,
      40_000,
      'namespace created after the outage',
    );
  });
});
