import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBundleDocuments } from '../yaml-bundle';
import { SIMULATED_RELEASES } from '../simulated-releases';
import { allSimulatedExtensionBundles, simulatedExtensionBundle } from './simulated-extensions';

const objectsOf = (yaml: string): any[] => parseBundleDocuments(yaml).objects as any[];

describe('simulated extension bundles', () => {
  it('has viz and multicluster for every simulated release', () => {
    const all = allSimulatedExtensionBundles();
    assert.equal(all.length, SIMULATED_RELEASES.length * 2);
    assert.equal(new Set(all.map((b) => b.digest)).size, all.length);
  });

  it('labels every object for its extension; only RBAC goes into the control-plane namespace', () => {
    for (const ext of ['viz', 'multicluster'] as const) {
      for (const o of objectsOf(simulatedExtensionBundle('edge-26.8.3', ext).yaml)) {
        assert.equal(o.metadata.labels['linkerd.io/extension'], ext, `${o.kind} ${o.metadata.name}`);
        if (o.metadata.namespace === 'linkerd') assert.ok(['Role', 'RoleBinding'].includes(o.kind), o.kind);
      }
    }
  });

  it('viz: the names the viz checks look for, images of the release, no key material', () => {
    const b = simulatedExtensionBundle('edge-26.6.3', 'viz');
    const objects = objectsOf(b.yaml);
    const names = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    for (const r of [
      'linkerd-linkerd-viz-tap',
      'linkerd-linkerd-viz-metrics-api',
      'linkerd-linkerd-viz-tap-admin',
      'linkerd-tap-injector',
    ])
      assert.ok(names('ClusterRole').includes(r), r);
    for (const r of [
      'linkerd-linkerd-viz-tap',
      'linkerd-linkerd-viz-metrics-api',
      'linkerd-linkerd-viz-tap-auth-delegator',
      'linkerd-tap-injector',
    ])
      assert.ok(names('ClusterRoleBinding').includes(r), r);
    assert.deepEqual(names('Deployment').sort(), ['metrics-api', 'prometheus', 'tap', 'tap-injector', 'web']);
    const tap = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tap');
    assert.equal(tap.spec.template.spec.containers[0].image, 'cr.l5d.io/linkerd/tap:edge-26.6.3');
    assert.equal(tap.spec.template.metadata.annotations['linkerd.io/inject'], 'enabled');
    assert.ok(!b.yaml.includes('BEGIN'));
    assert.ok(!b.yaml.includes('caBundle'));
    assert.ok(objects.some((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'kube-system'));
  });
});
