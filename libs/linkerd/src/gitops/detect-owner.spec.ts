import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectGitopsOwner } from './detect-owner';

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
});
