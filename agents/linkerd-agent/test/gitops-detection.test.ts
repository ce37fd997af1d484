// GitOps ownership as the agent reports it from a simulated cluster read with the real client:
// a fresh install carries no marks; once Argo CD's tracking annotation is on the control plane
// (written as argocd-controller would), the report names ARGOCD with the evidence.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { Simulator } from '@meshfleet/kube-sim';
import { KubeAccess } from '../src/kube/kube-access';
import { ProxyScraper } from '../src/report/proxy-scraper';
import { ReportBuilder } from '../src/report/report-builder';
import { eventually, quietLog, startSim } from './sim-fixture';

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
    assert.deepEqual((await builder.build(1)).gitops, { detected: null, evidence: [] });

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
});
