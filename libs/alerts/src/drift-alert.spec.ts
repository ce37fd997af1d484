import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GitopsSource } from '@meshfleet/agent-protocol';
import { clusterConditions, gitopsSourceLine, type ClusterState } from './alert-conditions';
import { AlertKind, effectiveRules } from './alert-rules.catalog';

const NOW = new Date('2026-12-03T08:00:00Z');
const cluster = (driftCount: number | null | undefined, changing = false): ClusterState => ({
  id: 'c1',
  name: 'prod-eu',
  status: 'CONNECTED',
  changing,
  health: {
    status: 'HEALTHY',
    podCoverage: 1,
    trafficCoverage: null,
    skew: { status: 'none', oldestProxy: null, controlPlane: null },
    certificates: [],
    driftCount,
  },
});
/** The Argo CD Application that owns Linkerd, as the report carries it. */
const argo = (
  syncStatus: 'Synced' | 'OutOfSync',
  healthStatus: 'Healthy' | 'Progressing' | 'Degraded',
): GitopsSource => ({
  tool: 'ARGOCD',
  kind: 'Application',
  namespace: 'argocd',
  name: 'linkerd-control-plane',
  readAt: NOW.toISOString(),
  error: null,
  argocd: { syncStatus, healthStatus, revision: '4f2a9c1', operationPhase: 'Succeeded', reconciledAt: null },
  flux: null,
});
const drift = (s: ClusterState, rules = effectiveRules([])) =>
  clusterConditions(rules, s, NOW).filter((c) => c.kind === AlertKind.DRIFT_DETECTED);

describe('DRIFT_DETECTED', () => {
  it('fires when the last drift check found fields, with the count in the summary', () => {
    const [c, ...rest] = drift(cluster(2));
    assert.equal(rest.length, 0);
    assert.equal(c?.subject, 'drift');
    assert.equal(c?.severity, 'WARNING');
    assert.match(c!.summary, /prod-eu drifted .*: 2 field\(s\) differ/);
  });

  it('stays quiet without drift, without a check (older agents), while Meshfleet changes the cluster, and when disabled', () => {
    assert.deepEqual(drift(cluster(0)), []);
    assert.deepEqual(drift(cluster(null)), []);
    assert.deepEqual(drift(cluster(undefined)), []);
    assert.deepEqual(drift(cluster(3, true)), []);
    const off = effectiveRules([
      { kind: AlertKind.DRIFT_DETECTED, enabled: false, severity: 'WARNING', forSeconds: 0, params: {} },
    ]);
    assert.deepEqual(drift(cluster(3), off), []);
  });
  it('on a GITOPS cluster names the Application and its sync status and says Meshfleet will not correct it', () => {
    const source = argo('OutOfSync', 'Healthy');
    const [c] = drift({ ...cluster(2), gitops: { tool: 'ARGOCD', source } });
    assert.match(c!.summary, /prod-eu drifted .*: 2 field\(s\) differ/);
    assert.match(
      c!.summary,
      /Managed by Argo CD \(Application argocd\/linkerd-control-plane: OutOfSync, health Healthy, revision 4f2a9c1\)/,
    );
    assert.match(c!.summary, /Meshfleet will not correct it/);
    assert.deepEqual(c!.gitops, { tool: 'ARGOCD', source });
    // MESHFLEET mode: unchanged.
    const [m] = drift(cluster(2));
    assert.equal(m!.gitops, undefined);
    assert.doesNotMatch(m!.summary, /Managed by|will not correct/);
  });

  it('on a GITOPS cluster says when the source could not be read or none was found', () => {
    const unreadable = {
      tool: 'FLUX' as const,
      kind: 'HelmRelease' as const,
      namespace: 'flux-system',
      name: 'linkerd',
      readAt: NOW.toISOString(),
      error:
        "source not readable: HelmRelease flux-system/linkerd: forbidden: the agent's RBAC does not grant get on HelmReleases",
      argocd: null,
      flux: null,
    };
    const [c] = drift({ ...cluster(1), gitops: { tool: 'FLUX', source: unreadable } });
    assert.match(
      c!.summary,
      /Managed by Flux \(HelmRelease flux-system\/linkerd: source not readable: .*forbidden/,
    );
    const [none] = drift({ ...cluster(1), gitops: { tool: 'ARGOCD', source: null } });
    assert.match(
      none!.summary,
      /Managed by Argo CD \(no Application found from Linkerd's marks\); Meshfleet will not correct it/,
    );
  });

  it('words a Flux HelmRelease by its Ready condition', () => {
    const line = gitopsSourceLine({
      tool: 'FLUX',
      kind: 'HelmRelease',
      namespace: 'flux-system',
      name: 'linkerd-control-plane',
      readAt: NOW.toISOString(),
      error: null,
      argocd: null,
      flux: {
        ready: { status: 'False', reason: 'UpgradeFailed', message: 'boom', lastTransitionTime: null },
        lastAttemptedRevision: '2026.8.3',
        observedGeneration: 2,
        generation: 2,
      },
    });
    assert.equal(
      line,
      'HelmRelease flux-system/linkerd-control-plane: Ready=False (UpgradeFailed), last attempted revision 2026.8.3',
    );
  });
});

describe('GITOPS_SOURCE_UNHEALTHY', () => {
  const flux = (status: 'True' | 'False' | 'Unknown'): GitopsSource => ({
    tool: 'FLUX' as const,
    kind: 'HelmRelease' as const,
    namespace: 'flux-system',
    name: 'linkerd-control-plane',
    readAt: NOW.toISOString(),
    error: null,
    argocd: null,
    flux: {
      ready: {
        status,
        reason: status === 'False' ? 'UpgradeFailed' : 'ReconciliationSucceeded',
        message: null,
        lastTransitionTime: null,
      },
      lastAttemptedRevision: '2025.12.3',
      observedGeneration: 3,
      generation: 3,
    },
  });
  const of = (source: GitopsSource | null, tool: string = source?.tool ?? 'ARGOCD') =>
    clusterConditions(effectiveRules([]), { ...cluster(0), gitops: { tool, source } }, NOW).filter(
      (c) => c.kind === AlertKind.GITOPS_SOURCE_UNHEALTHY,
    );

  it('warns for an OutOfSync Application or a HelmRelease not Ready, critical for a Degraded Application', () => {
    const [out] = of(argo('OutOfSync', 'Healthy'));
    assert.equal(out?.severity, 'WARNING');
    assert.equal(out?.subject, 'gitops-source');
    assert.equal(
      out?.summary,
      'Argo CD does not have Linkerd on cluster prod-eu in the state Git asks for: Application argocd/linkerd-control-plane: OutOfSync, health Healthy, revision 4f2a9c1',
    );
    assert.equal(out?.gitops?.source?.name, 'linkerd-control-plane');
    assert.equal(of(argo('Synced', 'Degraded'))[0]?.severity, 'CRITICAL');
    const [f] = of(flux('False'));
    assert.match(
      f!.summary,
      /^Flux does not have Linkerd .*HelmRelease flux-system\/linkerd-control-plane: Ready=False \(UpgradeFailed\)/,
    );
  });

  it('stays quiet when synced and healthy or progressing, Ready, unreadable, absent, or outside GITOPS mode', () => {
    assert.deepEqual(of(argo('Synced', 'Healthy')), []);
    assert.deepEqual(of(argo('Synced', 'Progressing')), []);
    assert.deepEqual(of(flux('True')), []);
    assert.deepEqual(of(flux('Unknown')), []);
    assert.deepEqual(
      of({ ...argo('OutOfSync', 'Degraded'), error: 'source not readable: 403 Forbidden', argocd: null }),
      [],
    );
    assert.deepEqual(of(null), []);
    const meshfleet = clusterConditions(effectiveRules([]), cluster(0), NOW);
    assert.deepEqual(
      meshfleet.filter((c) => c.kind === AlertKind.GITOPS_SOURCE_UNHEALTHY),
      [],
    );
    const rule = effectiveRules([]).find((r) => r.kind === AlertKind.GITOPS_SOURCE_UNHEALTHY)!;
    assert.equal(rule.forSeconds, 600, 'a sync in progress shows OutOfSync for a while');
  });
});
