import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GitopsSourceSchema } from '@meshfleet/agent-protocol';
import {
  argoApplicationStatus,
  fluxHelmReleaseStatus,
  gitopsSourceRef,
  gitopsSourceReport,
  sourceRefOf,
} from './gitops-source';

const meta = (m: Record<string, unknown>) => ({ metadata: m });
const empty = { deployments: [], configMaps: [], mutatingWebhooks: [], validatingWebhooks: [], crds: [] };

describe('gitopsSourceRef', () => {
  it("takes the Application from Argo CD's tracking annotation, in argocd unless the instance names a namespace", () => {
    const tracked = (instance: string) =>
      sourceRefOf(
        meta({
          annotations: {
            'argocd.argoproj.io/tracking-id': `${instance}:apps/Deployment:linkerd/linkerd-destination`,
          },
        }),
        'ARGOCD',
      );
    assert.deepEqual(tracked('linkerd-control-plane'), {
      tool: 'ARGOCD',
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      namespace: 'argocd',
      name: 'linkerd-control-plane',
    });
    const anyNs = tracked('platform_linkerd-cp');
    assert.deepEqual([anyNs?.namespace, anyNs?.name], ['platform', 'linkerd-cp']);
    assert.equal(tracked('Not A Name'), null);
    assert.equal(tracked('_x'), null);
  });

  it('falls back to the instance labels, and reads Flux from helm-controller labels', () => {
    assert.equal(
      sourceRefOf(meta({ labels: { 'argocd.argoproj.io/instance': 'lcp' } }), 'ARGOCD')?.name,
      'lcp',
    );
    assert.deepEqual(
      sourceRefOf(
        meta({
          labels: {
            'helm.toolkit.fluxcd.io/name': 'linkerd-control-plane',
            'helm.toolkit.fluxcd.io/namespace': 'flux-system',
          },
        }),
        'FLUX',
      ),
      {
        tool: 'FLUX',
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        namespace: 'flux-system',
        name: 'linkerd-control-plane',
      },
    );
    // The name label alone does not say where the HelmRelease lives.
    assert.equal(sourceRefOf(meta({ labels: { 'helm.toolkit.fluxcd.io/name': 'x' } }), 'FLUX'), null);
  });

  it("prefers the control plane's Deployments over the CRDs' Application, and needs a detected tool", () => {
    const mark = (app: string) => ({
      'argocd.argoproj.io/tracking-id': `${app}:x/Y:ns/n`,
    });
    const snapshot = {
      ...empty,
      crds: [meta({ name: 'servers.policy.linkerd.io', annotations: mark('linkerd-crds') })],
      deployments: [
        meta({ name: 'web', namespace: 'shop', annotations: mark('shop') }),
        meta({
          name: 'linkerd-destination',
          namespace: 'linkerd',
          annotations: mark('linkerd-control-plane'),
        }),
      ],
    };
    assert.equal(gitopsSourceRef(snapshot, 'linkerd', 'ARGOCD')?.name, 'linkerd-control-plane');
    assert.equal(
      gitopsSourceRef({ ...snapshot, deployments: [] }, 'linkerd', 'ARGOCD')?.name,
      'linkerd-crds',
    );
    assert.equal(gitopsSourceRef(snapshot, 'linkerd', null), null);
    assert.equal(gitopsSourceRef(snapshot, 'linkerd', 'FLUX'), null);
  });
});

describe('Argo CD Application status', () => {
  it('reads sync status, health, revision, operation phase and reconcile time', () => {
    const s = argoApplicationStatus({
      status: {
        sync: { status: 'OutOfSync', revision: '4f2a9c1e' },
        health: { status: 'Degraded' },
        operationState: { phase: 'Failed' },
        reconciledAt: '2026-12-03T08:00:00Z',
      },
    });
    assert.deepEqual(s, {
      syncStatus: 'OutOfSync',
      healthStatus: 'Degraded',
      revision: '4f2a9c1e',
      operationPhase: 'Failed',
      reconciledAt: '2026-12-03T08:00:00.000Z',
    });
  });

  it('reads a missing or malformed status as Unknown, never throwing', () => {
    const unknown = {
      syncStatus: 'Unknown',
      healthStatus: 'Unknown',
      revision: null,
      operationPhase: null,
      reconciledAt: null,
    };
    for (const app of [
      undefined,
      null,
      'x',
      {},
      { status: null },
      { status: [] },
      { status: { sync: 'Synced' } },
    ])
      assert.deepEqual(argoApplicationStatus(app), unknown);
    const odd = argoApplicationStatus({
      status: {
        sync: { status: 'Weird', revisions: ['abc', 'def'] },
        health: { status: 7 },
        reconciledAt: 'yesterday',
      },
    });
    assert.deepEqual(odd, { ...unknown, revision: 'abc' });
    assert.equal(
      argoApplicationStatus({ status: { sync: { revision: 'r'.repeat(1000) } } }).revision!.length,
      256,
    );
  });
});

describe('Flux HelmRelease status', () => {
  it('reads the Ready condition, last attempted revision and generations', () => {
    const s = fluxHelmReleaseStatus({
      metadata: { generation: 3 },
      status: {
        observedGeneration: 2,
        lastAttemptedRevision: '2026.8.3',
        conditions: [
          { type: 'Released', status: 'True', reason: 'InstallSucceeded', message: 'ok' },
          {
            type: 'Ready',
            status: 'False',
            reason: 'UpgradeFailed',
            message: 'm'.repeat(40_000),
            lastTransitionTime: '2026-12-03T08:00:00Z',
          },
        ],
      },
    });
    assert.equal(s.ready?.status, 'False');
    assert.equal(s.ready?.reason, 'UpgradeFailed');
    assert.equal(s.ready?.message?.length, 512, 'a long message is cut to fit the report');
    assert.equal(s.ready?.lastTransitionTime, '2026-12-03T08:00:00.000Z');
    assert.equal(s.lastAttemptedRevision, '2026.8.3');
    assert.equal(s.observedGeneration, 2);
    assert.equal(s.generation, 3);
  });

  it('reads no Ready condition as null and malformed fields as absent', () => {
    assert.deepEqual(fluxHelmReleaseStatus({ status: { conditions: 'no', observedGeneration: '2' } }), {
      ready: null,
      lastAttemptedRevision: null,
      observedGeneration: null,
      generation: null,
    });
    assert.equal(
      fluxHelmReleaseStatus({ status: { conditions: [{ type: 'Ready', status: 'maybe' }] } }).ready?.status,
      'Unknown',
    );
  });
});

describe('gitopsSourceReport', () => {
  const ref = {
    tool: 'ARGOCD' as const,
    apiVersion: 'argoproj.io/v1alpha1' as const,
    kind: 'Application' as const,
    namespace: 'argocd',
    name: 'linkerd-control-plane',
  };
  const at = new Date('2026-12-03T08:00:00Z');

  it('gives a report block the protocol accepts, for a read and for a failed read', () => {
    const read = gitopsSourceReport(ref, at, { live: { status: { sync: { status: 'Synced' } } } });
    assert.equal(GitopsSourceSchema.parse(read).argocd?.syncStatus, 'Synced');
    assert.equal(read.flux, null);
    const failed = gitopsSourceReport(ref, at, { error: 'forbidden: '.repeat(100) });
    assert.ok(failed.error!.startsWith('source not readable: forbidden'));
    assert.equal(failed.argocd, null);
    assert.ok(GitopsSourceSchema.safeParse(failed).success, 'a long reason is cut to fit');
  });
});
