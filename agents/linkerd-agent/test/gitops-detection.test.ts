// GitOps ownership as the agent reports it from a simulated cluster read with the real client:
// a fresh install carries no marks; once Argo CD's tracking annotation is on the control plane
// (written as argocd-controller would), the report names ARGOCD with the evidence, and the
// Application it names is read for the report: not readable without its CRD, without the object
// or without access (each said so), then its sync and health status.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { argocdCrds, fluxCrds, type PolicyRule, type Simulator } from '@meshfleet/kube-sim';
import { ClusterOps } from '../src/kube/cluster-ops';
import { loadKubeConfig } from '../src/kube/kube-config';
import { KubeAccess } from '../src/kube/kube-access';
import { GitopsSourceReader } from '../src/report/gitops-source-reader';
import { ProxyScraper } from '../src/report/proxy-scraper';
import { ReportBuilder } from '../src/report/report-builder';
import { eventually, quietLog, startSim } from './sim-fixture';

/** The MONITOR ClusterRole of the agent's chart (generated from the per-mode rules). */
function monitorRules(): PolicyRule[] {
  let dir = __dirname;
  while (!existsSync(join(dir, 'charts/meshfleet-agent/templates/rbac.yaml'))) dir = dirname(dir);
  const text = readFileSync(join(dir, 'charts/meshfleet-agent/templates/rbac.yaml'), 'utf8');
  const monitor = text.split('{{- else }}')[0]!.replace(/\{\{[^}]*\}\}/g, 'x');
  const docs = parseAllDocuments(monitor).map((d) => d.toJS() as { kind: string; rules?: PolicyRule[] });
  return docs.find((d) => d.kind === 'ClusterRole')!.rules!;
}

describe('GitOps ownership in the health report', () => {
  let sim: Simulator;
  let kube: KubeAccess;
  let builder: ReportBuilder;

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
    assert.equal(await kube.waitForSync(AbortSignal.timeout(10_000)), true);
    builder = new ReportBuilder({
      kube,
      gitopsSource: new GitopsSourceReader(kube.ops),
      scraper: new ProxyScraper({
        kube,
        limits: { concurrency: 2, timeoutMs: 3000, maxPods: 10 },
        controlPlaneNamespace: 'linkerd',
      }),
      agentVersion: 'test',
      controlPlaneNamespace: 'linkerd',
      vizNamespace: 'linkerd-viz',
      certExpiryWarningDays: 60,
    });
  });
  after(async () => {
    await kube?.stop();
    await sim?.close();
  });

  it('reports no GitOps tool for a Meshfleet install, then Argo CD from its tracking annotation', async () => {
    assert.deepEqual((await builder.build(1)).gitops, { detected: null, evidence: [], source: null });

    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfigFor('meshed'));
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const d = await apps.readNamespacedDeployment({ name: 'linkerd-destination', namespace: 'linkerd' });
    const tracking = 'meshed-linkerd-control-plane:apps/Deployment:linkerd/linkerd-destination';
    d.metadata!.annotations = { ...d.metadata!.annotations, 'argocd.argoproj.io/tracking-id': tracking };
    await apps.replaceNamespacedDeployment({
      name: 'linkerd-destination',
      namespace: 'linkerd',
      body: d,
      fieldManager: 'argocd-controller',
    });

    const report = await eventually(
      () => builder.build(2),
      (r) => r.gitops?.detected === 'ARGOCD',
      10_000,
      'the tracking annotation in the report',
    );
    assert.ok(
      report.gitops!.evidence.includes(
        `Deployment linkerd/linkerd-destination: annotation argocd.argoproj.io/tracking-id=${tracking}`,
      ),
      JSON.stringify(report.gitops),
    );
  });
  it('reads the Application the tracking annotation names: missing CRD, missing object and 403 are reported, then its status', async () => {
    const source = async () => (await builder.build(Date.now())).gitops?.source;
    const noCrd = await source();
    assert.equal(noCrd?.kind, 'Application');
    assert.equal(noCrd?.namespace, 'argocd');
    assert.equal(noCrd?.name, 'meshed-linkerd-control-plane');
    assert.match(
      noCrd!.error!,
      /^source not readable: Application argocd\/meshed-linkerd-control-plane: .*CRD is not installed/,
    );
    assert.equal(noCrd?.argocd, null);

    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfigFor('meshed'));
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    for (const crd of argocdCrds()) await objects.create(crd as never);
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } } as never);
    const missing = await eventually(
      source,
      (s) => /does not exist/.test(s?.error ?? ''),
      10_000,
      'CRD served',
    );
    assert.match(missing!.error!, /the Application the Linkerd objects name does not exist/);

    // As argocd-controller writes it: the Application has no status subresource.
    await objects.create({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'meshed-linkerd-control-plane', namespace: 'argocd' },
      spec: {
        project: 'default',
        destination: { server: 'https://kubernetes.default.svc', namespace: 'linkerd' },
      },
      status: {
        sync: { status: 'OutOfSync', revision: '4f2a9c1e' },
        health: { status: 'Progressing' },
        operationState: { phase: 'Running' },
        reconciledAt: '2026-12-03T08:00:00Z',
      },
    } as never);
    const read = await source();
    assert.equal(read?.error, null);
    assert.deepEqual(read?.argocd, {
      syncStatus: 'OutOfSync',
      healthStatus: 'Progressing',
      revision: '4f2a9c1e',
      operationPhase: 'Running',
      reconciledAt: '2026-12-03T08:00:00.000Z',
    });

    // With the agent's own (MONITOR) RBAC it reads; without the GitOps rule the API server says 403.
    const withRules = (rules: PolicyRule[]) =>
      new GitopsSourceReader(
        new ClusterOps(
          loadKubeConfig({
            kubeconfigPath: null,
            kubeconfigYaml: sim.kubeconfigFor(
              'meshed',
              sim.restrictedToken('meshed', { user: 'agent', clusterRules: rules, namespaceRules: {} }),
            ),
          }).kc,
        ),
      ).read(kube.snapshot(new Date()), 'linkerd', 'ARGOCD');
    const rules = monitorRules();
    assert.equal((await withRules(rules))?.argocd?.syncStatus, 'OutOfSync');
    const denied = await withRules(rules.filter((r) => !r.apiGroups?.includes('argoproj.io')));
    assert.match(denied!.error!, /forbidden: the agent's RBAC does not grant get on Applications/);

    sim.cluster('meshed').faults.denyAccess(['applications']);
    try {
      assert.match(
        (await source())!.error!,
        /forbidden: the agent's RBAC does not grant get on Applications/,
      );
    } finally {
      sim.cluster('meshed').faults.denyAccess([]);
    }
  });
  it("reads a Flux HelmRelease from helm-controller's labels, its status written through /status", async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfigFor('meshed'));
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    for (const crd of fluxCrds()) await objects.create(crd as never);
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flux-system' } } as never);
    // helm-controller's marks on the control plane outnumber the Argo CD annotation left from above.
    const labels = {
      'helm.toolkit.fluxcd.io/name': 'linkerd-control-plane',
      'helm.toolkit.fluxcd.io/namespace': 'flux-system',
    };
    for (const name of ['linkerd-destination', 'linkerd-identity', 'linkerd-proxy-injector'])
      await objects.patch(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'linkerd', labels } },
        undefined,
        undefined,
        'helm-controller',
        undefined,
        k8s.PatchStrategy.MergePatch,
      );
    const release = {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'linkerd-control-plane', namespace: 'flux-system' },
      spec: {
        interval: '10m',
        chart: {
          spec: { chart: 'linkerd-control-plane', sourceRef: { kind: 'HelmRepository', name: 'linkerd' } },
        },
      },
      status: { observedGeneration: 99 },
    };
    const created = (await objects.create(release as never)) as { status?: unknown };
    assert.equal(created.status, undefined, 'a create drops the status of a CR with the status subresource');
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const ref = {
      group: 'helm.toolkit.fluxcd.io',
      version: 'v2',
      namespace: 'flux-system',
      plural: 'helmreleases',
      name: 'linkerd-control-plane',
    };
    const live = (await custom.getNamespacedCustomObject(ref)) as Record<string, unknown>;
    await custom.replaceNamespacedCustomObjectStatus({
      ...ref,
      body: {
        ...live,
        status: {
          observedGeneration: 1,
          lastAttemptedRevision: '2026.8.3',
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'UpgradeFailed',
              message: 'Helm upgrade failed: timed out waiting for the condition',
              lastTransitionTime: '2026-12-03T08:00:00Z',
            },
          ],
        },
      },
    });
    const report = await eventually(
      () => builder.build(Date.now()),
      (r) => r.gitops?.source?.kind === 'HelmRelease' && r.gitops.source.flux?.ready !== null,
      10_000,
      'the HelmRelease in the report',
    );
    assert.equal(report.gitops!.detected, 'FLUX');
    const source = report.gitops!.source!;
    assert.deepEqual(
      [source.tool, source.namespace, source.name, source.error],
      ['FLUX', 'flux-system', 'linkerd-control-plane', null],
    );
    assert.deepEqual(source.flux, {
      ready: {
        status: 'False',
        reason: 'UpgradeFailed',
        message: 'Helm upgrade failed: timed out waiting for the condition',
        lastTransitionTime: '2026-12-03T08:00:00.000Z',
      },
      lastAttemptedRevision: '2026.8.3',
      observedGeneration: 1,
      generation: 1,
    });

    // An API server that stops answering is a source not readable, not a failed report.
    const reader = new GitopsSourceReader(kube.ops);
    sim.cluster('meshed').faults.apiErrors(1, 500);
    try {
      const failed = await reader.read(kube.snapshot(new Date()), 'linkerd', 'FLUX');
      assert.match(
        failed!.error!,
        /^source not readable: HelmRelease flux-system\/linkerd-control-plane: the API server answered 500$/,
      );
      assert.equal(failed!.flux, null);
    } finally {
      sim.cluster('meshed').faults.clear();
    }
  });
});
