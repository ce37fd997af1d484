import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MeshPlanCandidate, planMeshRollout, planRollout, PlanCandidate } from './rollout-plan';
import { failureBudget, resolveStrategy } from './rollout-strategy';
import { ValidationError } from '@meshfleet/core';

const release = { version: 'enterprise-2.20.0', kubernetesMin: '1.31', kubernetesMax: '1.35' };
const c = (name: string, over: Partial<PlanCandidate> = {}): PlanCandidate => ({
  id: `id-${name}`,
  name,
  status: 'CONNECTED',
  mode: 'MANAGED',
  linkerdInstalled: true,
  currentVersion: 'enterprise-2.19.1',
  kubernetesVersion: 'v1.33.2',
  oldestProxyVersion: 'enterprise-2.19.1',
  ...over,
});

describe('planRollout', () => {
  it('puts the canary first, then waves by size, the rest last', () => {
    const fleet = Array.from({ length: 10 }, (_, i) => c(`c${i}`));
    const plan = planRollout(fleet, release, resolveStrategy({ canaryCount: 1, waveSizes: [3, 3] }));
    assert.deepEqual(
      plan.waves.map((w) => [w.name, w.clusters.length]),
      [
        ['canary', 1],
        ['wave 1', 3],
        ['wave 2', 3],
        ['wave 3', 3],
      ],
    );
    assert.equal(plan.waves[0]!.clusters[0]!.name, 'c0');
  });

  it('lists clusters it leaves out with the reason instead of dropping them', () => {
    const plan = planRollout(
      [
        c('ok'),
        c('old', { currentVersion: 'enterprise-2.18.0', oldestProxyVersion: 'enterprise-2.18.0' }),
        c('off', { status: 'OFFLINE' }),
        c('bare', { linkerdInstalled: false, currentVersion: null }),
        c('k8s', { kubernetesVersion: 'v1.28.0' }),
        c('watch', { mode: 'MONITOR' }),
      ],
      release,
      resolveStrategy({}),
    );
    assert.deepEqual(
      plan.waves.flatMap((w) => w.clusters.map((x) => x.name)),
      ['ok'],
    );
    assert.deepEqual(Object.fromEntries(plan.excluded.map((e) => [e.clusterName, e.code])), {
      old: 'SKIPS_MAJOR',
      off: 'OFFLINE',
      bare: 'NOT_INSTALLED',
      k8s: 'KUBERNETES_UNSUPPORTED',
      watch: 'CLUSTER_MONITOR_ONLY',
    });
    assert.match(plan.excluded.find((e) => e.clusterName === 'watch')!.reason, /MONITOR mode/);
  });

  it('splits by percentages of what follows the canary', () => {
    const fleet = Array.from({ length: 21 }, (_, i) => c(`c${String(i).padStart(2, '0')}`));
    const plan = planRollout(fleet, release, resolveStrategy({ canaryCount: 1, wavePercentages: [10, 40] }));
    assert.deepEqual(
      plan.waves.map((w) => w.clusters.length),
      [1, 2, 8, 10],
    );
  });

  it('validates the strategy and computes the failure budget', () => {
    assert.throws(() => resolveStrategy({ waveSizes: [1], wavePercentages: [50] }), ValidationError);
    assert.throws(() => resolveStrategy({ wavePercentages: [60, 50] }), ValidationError);
    assert.throws(() => resolveStrategy({ maxUnavailable: 0 }), ValidationError);
    assert.equal(failureBudget(resolveStrategy({ maxFailurePercentage: 10 }), 25), 2);
    assert.equal(failureBudget(resolveStrategy({}), 25), 0);
  });
});

describe('planMeshRollout', () => {
  const m = (name: string, over: Partial<MeshPlanCandidate> = {}): MeshPlanCandidate => ({
    ...c(name),
    controlPlaneNamespace: 'linkerd',
    namespaces: ['shop', 'legacy'],
    namespacesTruncated: false,
    ...over,
  });

  it('waves the clusters that have the namespaces and excludes the others with the reason', () => {
    const plan = planMeshRollout(
      [
        m('a'),
        m('b'),
        m('no-legacy', { namespaces: ['shop'] }),
        m('bare', { linkerdInstalled: false }),
        m('silent', { namespaces: null }),
        m('ro', { mode: 'MONITOR' }),
        m('big', { namespaces: ['shop'], namespacesTruncated: true }),
      ],
      ['legacy'],
      resolveStrategy({ canaryCount: 1 }),
    );
    assert.equal(plan.targetVersion, '');
    assert.deepEqual(
      plan.waves.map((w) => [w.name, w.clusters.map((x) => x.name)]),
      [
        ['canary', ['a']],
        ['wave 1', ['b', 'big']],
      ],
    );
    assert.deepEqual(
      plan.excluded.map((e) => [e.clusterName, e.code]),
      [
        ['bare', 'NOT_INSTALLED'],
        ['no-legacy', 'MISSING_NAMESPACES'],
        ['ro', 'CLUSTER_MONITOR_ONLY'],
        ['silent', 'NOT_INSTALLED'],
      ],
    );
  });

  it('excludes every cluster for a Linkerd or system namespace', () => {
    const plan = planMeshRollout([m('a'), m('b')], ['linkerd'], resolveStrategy({}));
    assert.deepEqual(plan.waves, []);
    assert.deepEqual(
      plan.excluded.map((e) => e.code),
      ['CONTROL_PLANE_NAMESPACE', 'CONTROL_PLANE_NAMESPACE'],
    );
  });

  it("refuses a namespace the adoption facts label as Linkerd's, on that cluster only", () => {
    const plan = planMeshRollout(
      [
        m('a', { namespaces: ['shop', 'tracing'] }),
        m('b', { namespaces: ['shop'], linkerdNamespaces: ['linkerd', 'tracing'] }),
      ],
      ['tracing'],
      resolveStrategy({}),
    );
    assert.deepEqual(
      plan.waves.flatMap((w) => w.clusters.map((x) => x.name)),
      ['a'],
    );
    assert.deepEqual(
      plan.excluded.map((e) => [e.clusterName, e.code]),
      [['b', 'EXTENSION_NAMESPACE']],
    );
  });
});

describe('GITOPS clusters', () => {
  it('are left out of upgrade and mesh rollouts with the tool named', () => {
    const plan = planRollout([c('argo', { gitopsTool: 'ARGOCD' }), c('plain')], release, resolveStrategy({}));
    assert.deepEqual(
      plan.waves.flatMap((w) => w.clusters.map((x) => x.name)),
      ['plain'],
    );
    assert.equal(plan.excluded[0]!.code, 'GITOPS_MANAGED');
    assert.match(plan.excluded[0]!.reason, /Argo CD applies Linkerd/);
    const mesh = planMeshRollout(
      [
        {
          ...c('flux', { gitopsTool: 'FLUX' }),
          controlPlaneNamespace: 'linkerd',
          namespaces: ['shop'],
          namespacesTruncated: false,
        },
      ],
      ['shop'],
      resolveStrategy({}),
    );
    assert.deepEqual(
      mesh.excluded.map((e) => [e.code, e.reason]),
      [['GITOPS_MANAGED', 'Flux applies Linkerd on this cluster (GITOPS mode); change it in Git']],
    );
  });
});
