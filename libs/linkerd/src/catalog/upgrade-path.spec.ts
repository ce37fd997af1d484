import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findSimulatedRelease } from './simulated-releases';
import { checkUpgradePath, type UpgradePathInput } from './upgrade-path';

const target = (version: string) => {
  const { kubernetesMin, kubernetesMax } = findSimulatedRelease(version);
  return { kubernetesMin, kubernetesMax };
};
const check = (from: string | null, to: string, extra: Partial<UpgradePathInput> = {}) =>
  checkUpgradePath({
    from,
    to,
    clusterKubernetesVersion: 'v1.32.4-eks-1a2b3c',
    target: target(to),
    ...extra,
  });
const code = (d: ReturnType<typeof checkUpgradePath>) => (d.allowed ? 'ALLOWED' : d.code);

describe('checkUpgradePath', () => {
  it('allows a fresh install on a supported cluster', () => {
    assert.deepEqual(check(null, 'edge-26.6.3'), { allowed: true });
  });

  it('allows any newer release within a major, skipping minors', () => {
    assert.deepEqual(check('enterprise-2.19.0', 'enterprise-2.19.1'), { allowed: true });
    assert.deepEqual(check('edge-26.6.3', 'edge-26.8.3'), { allowed: true });
  });

  it('allows the next major', () => {
    assert.deepEqual(check('edge-25.10.7', 'edge-26.6.3'), { allowed: true });
    assert.deepEqual(check('enterprise-2.19.1', 'enterprise-2.20.0'), { allowed: true });
  });

  it('allows moving between channels of the same major', () => {
    assert.deepEqual(check('edge-26.8.3', 'enterprise-2.20.0'), { allowed: true });
  });

  it('rejects an upgrade that skips a major version', () => {
    const d = check('edge-25.4.4', 'enterprise-2.20.0');
    assert.equal(code(d), 'SKIPS_MAJOR');
    assert.ok(!d.allowed);
    assert.equal(
      d.reason,
      'Moving from edge-25.4.4 (Linkerd 2.18) to enterprise-2.20.0 (Linkerd 2.20) skips Linkerd 2.19. Linkerd must be upgraded one major at a time: move to a 2.19 release first.',
    );
  });

  it('rejects a downgrade unless allowed, within or across majors', () => {
    const d = check('edge-26.8.3', 'edge-26.6.3');
    assert.equal(code(d), 'DOWNGRADE');
    assert.ok(
      !d.allowed && /edge-26\.6\.3 \(Linkerd 2\.20\) is older than the running edge-26\.8\.3/.test(d.reason),
    );
    assert.equal(code(check('enterprise-2.20.0', 'enterprise-2.19.1')), 'DOWNGRADE');
    assert.deepEqual(check('enterprise-2.20.0', 'enterprise-2.19.1', { allowDowngrade: true }), {
      allowed: true,
    });
    assert.deepEqual(check('edge-26.8.3', 'edge-26.6.3', { allowDowngrade: true }), { allowed: true });
  });

  it('never lets an allowed downgrade skip a major', () => {
    assert.equal(code(check('edge-26.6.3', 'edge-25.4.4', { allowDowngrade: true })), 'SKIPS_MAJOR');
  });

  it('rejects re-installing the running version', () => {
    const d = check('enterprise-2.19.1', 'enterprise-2.19.1');
    assert.equal(code(d), 'SAME_VERSION');
    assert.ok(!d.allowed && d.reason === 'The control plane already runs enterprise-2.19.1.');
  });

  it('rejects a cluster whose Kubernetes is outside the target range', () => {
    const old = check('enterprise-2.19.1', 'enterprise-2.20.0', { clusterKubernetesVersion: 'v1.30.9' });
    assert.equal(code(old), 'KUBERNETES_UNSUPPORTED');
    assert.ok(
      !old.allowed &&
        old.reason ===
          'enterprise-2.20.0 supports Kubernetes 1.31–1.35, but the cluster runs 1.30. Upgrade Kubernetes to at least 1.31 first.',
    );
    assert.equal(
      code(check(null, 'edge-25.4.4', { clusterKubernetesVersion: '1.33.0' })),
      'KUBERNETES_UNSUPPORTED',
    );
    assert.deepEqual(check(null, 'edge-26.6.3', { clusterKubernetesVersion: 'v1.35.7+k3s1' }), {
      allowed: true,
    });
    assert.deepEqual(check(null, 'edge-26.6.3', { clusterKubernetesVersion: '1.31.0' }), { allowed: true });
  });

  it('accepts any newer Kubernetes when the target publishes no maximum', () => {
    const d = checkUpgradePath({
      from: null,
      to: 'edge-26.8.3',
      clusterKubernetesVersion: '1.40.1',
      target: { kubernetesMin: '1.31', kubernetesMax: null },
    });
    assert.deepEqual(d, { allowed: true });
  });

  it('rejects a major upgrade while proxies are already a major behind', () => {
    const d = check('enterprise-2.19.1', 'enterprise-2.20.0', { oldestProxyVersion: 'enterprise-2.18.3' });
    assert.equal(code(d), 'PROXY_TOO_OLD');
    assert.ok(
      !d.allowed &&
        /Restart the data plane on the current control plane \(enterprise-2\.19\.1\)/.test(d.reason),
    );
    assert.deepEqual(
      check('enterprise-2.19.1', 'enterprise-2.20.0', { oldestProxyVersion: 'edge-25.10.7' }),
      {
        allowed: true,
      },
    );
    assert.deepEqual(check('enterprise-2.19.1', 'enterprise-2.20.0', { oldestProxyVersion: 'unknown' }), {
      allowed: true,
    });
  });

  it('rejects versions it cannot place in a major', () => {
    const range = { kubernetesMin: '1.22', kubernetesMax: null };
    const latest = checkUpgradePath({
      from: null,
      to: 'latest',
      clusterKubernetesVersion: '1.32',
      target: range,
    });
    assert.equal(code(latest), 'UNKNOWN_VERSION');
    assert.equal(code(check('dev-abc123', 'edge-26.6.3')), 'UNKNOWN_VERSION');
    assert.equal(code(check('edge-23.1.1', 'edge-26.6.3')), 'UNKNOWN_VERSION');
    assert.equal(
      code(check(null, 'edge-26.6.3', { clusterKubernetesVersion: 'unknown' })),
      'UNKNOWN_VERSION',
    );
  });
});
