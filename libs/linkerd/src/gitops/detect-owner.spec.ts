import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectGitopsOwner, gitopsOwnerOfLinkerd } from './detect-owner';

describe('detectGitopsOwner', () => {
  it('sees Argo CD by its tracking annotation and field manager', () => {
    const r = detectGitopsOwner([
      {
        kind: 'Deployment',
        namespace: 'linkerd',
        name: 'linkerd-destination',
        annotations: {
          'argocd.argoproj.io/tracking-id':
            'east-linkerd-control-plane:apps/Deployment:linkerd/linkerd-destination',
        },
        managers: ['argocd-controller'],
      },
    ]);
    assert.equal(r.detected, 'ARGOCD');
    assert.ok(
      r.evidence[0]!.startsWith(
        'Deployment linkerd/linkerd-destination: annotation argocd.argoproj.io/tracking-id=',
      ),
    );
  });

  it('sees Flux by the helm-controller origin label', () => {
    const r = detectGitopsOwner([
      {
        kind: 'ConfigMap',
        namespace: 'linkerd',
        name: 'linkerd-config',
        labels: { 'helm.toolkit.fluxcd.io/name': 'linkerd-control-plane' },
      },
    ]);
    assert.deepEqual(r, {
      detected: 'FLUX',
      evidence: ['ConfigMap linkerd/linkerd-config: label helm.toolkit.fluxcd.io/name=linkerd-control-plane'],
    });
  });

  it('does not take a plain Helm install (app.kubernetes.io/instance alone) for Argo CD', () => {
    const r = detectGitopsOwner([
      {
        kind: 'Deployment',
        name: 'linkerd-identity',
        labels: { 'app.kubernetes.io/instance': 'linkerd-control-plane' },
        managers: ['helm'],
      },
    ]);
    assert.deepEqual(r, { detected: null, evidence: [] });
  });

  it('sees Argo CD by its custom tracking label argocd.argoproj.io/instance (then app.kubernetes.io/instance counts too)', () => {
    const r = detectGitopsOwner([
      {
        kind: 'Deployment',
        namespace: 'linkerd',
        name: 'linkerd-identity',
        labels: {
          'argocd.argoproj.io/instance': 'linkerd-control-plane',
          'app.kubernetes.io/instance': 'linkerd-control-plane',
        },
      },
    ]);
    assert.equal(r.detected, 'ARGOCD');
    assert.deepEqual(r.evidence, [
      'Deployment linkerd/linkerd-identity: label argocd.argoproj.io/instance=linkerd-control-plane',
      'Deployment linkerd/linkerd-identity: label app.kubernetes.io/instance=linkerd-control-plane',
    ]);
  });
});

describe('gitopsOwnerOfLinkerd', () => {
  const snapshot = (annotations: Record<string, string>, managers: string[] = []) => ({
    deployments: [
      {
        metadata: {
          name: 'linkerd-destination',
          namespace: 'linkerd',
          annotations,
          managedFields: managers.map((manager) => ({ manager })),
        },
      },
      // An application's Argo CD marks say nothing about Linkerd.
      {
        metadata: {
          name: 'web',
          namespace: 'shop',
          annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:shop/web' },
        },
      },
    ],
    configMaps: [],
    mutatingWebhooks: [],
    validatingWebhooks: [],
    crds: [
      {
        metadata: {
          name: 'servers.policy.linkerd.io',
          labels: { 'helm.toolkit.fluxcd.io/name': 'linkerd-crds' },
        },
      },
    ],
  });

  it('reads only Linkerd objects, and the majority tool wins', () => {
    const flux = gitopsOwnerOfLinkerd(snapshot({}), 'linkerd');
    assert.deepEqual(flux, {
      detected: 'FLUX',
      evidence: [
        'CustomResourceDefinition servers.policy.linkerd.io: label helm.toolkit.fluxcd.io/name=linkerd-crds',
      ],
    });
    const argo = gitopsOwnerOfLinkerd(
      snapshot(
        {
          'argocd.argoproj.io/tracking-id':
            'east-linkerd-control-plane:apps/Deployment:linkerd/linkerd-destination',
        },
        ['argocd-controller'],
      ),
      'linkerd',
    );
    assert.equal(argo.detected, 'ARGOCD');
    assert.equal(argo.evidence.length, 3);
    assert.ok(argo.evidence.every((e) => !e.includes('shop/web')));
  });

  it('sees nothing on a cluster Meshfleet installed', () => {
    assert.deepEqual(gitopsOwnerOfLinkerd({ ...snapshot({}), crds: [] }, 'linkerd'), {
      detected: null,
      evidence: [],
    });
  });
});
