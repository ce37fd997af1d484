import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Simulator } from '@meshfleet/kube-sim';
import { HealthReportSchema, jsonByteLength, MAX_BODY_BYTES } from '@meshfleet/agent-protocol';
import { isMeshed, isRunning } from '@meshfleet/linkerd';
import { KubeAccess } from '../src/kube/kube-access';
import { ProxyScraper } from '../src/report/proxy-scraper';
import { ReportBuilder } from '../src/report/report-builder';
import { eventually, quietLog, startSim } from './sim-fixture';

const limits = { concurrency: 4, timeoutMs: 3000, maxPods: 50 };

async function builderFor(sim: Simulator, cluster: string) {
  const kube = new KubeAccess(
    {
      kubeconfigPath: null,
      kubeconfigYaml: sim.kubeconfigFor(cluster),
      linkerdNamespaces: ['linkerd', 'linkerd-viz'],
    },
    quietLog,
  );
  kube.start();
  assert.equal(await kube.waitForSync(AbortSignal.timeout(10_000)), true);
  const scraper = new ProxyScraper({ kube, limits, controlPlaneNamespace: 'linkerd' });
  const builder = new ReportBuilder({
    kube,
    scraper,
    agentVersion: 'test',
    controlPlaneNamespace: 'linkerd',
    vizNamespace: 'linkerd-viz',
    certExpiryWarningDays: 60,
  });
  return { kube, scraper, builder };
}

describe('health report from a simulated cluster', () => {
  let sim: Simulator;
  const stops: Array<() => Promise<void>> = [];

  before(async () => {
    sim = await startSim();
  });
  after(async () => {
    for (const s of stops) await s();
    await sim.close();
  });

  it('reports Linkerd installed with its version, passing checks and pod and traffic mTLS coverage', async () => {
    const { kube, builder } = await builderFor(sim, 'meshed');
    stops.push(() => kube.stop());
    // 4 emojivoto pods (meshed) + 2 legacy pods (not), all running.
    await eventually(
      () => kube.snapshot().pods.filter((p) => ['emojivoto', 'legacy'].includes(p.metadata?.namespace ?? '')),
      (pods) => pods.length === 6 && pods.every(isRunning) && pods.filter(isMeshed).length === 4,
      10_000,
      'workload pods running',
    );
    // The simulated traffic counts requests from pod start: wait until some have been made.
    const report = await eventually(
      () => builder.build(Date.now()),
      (r) => (r.mtls.trafficCoverage.requests?.total ?? 0) > 0,
      10_000,
      'requests in the proxy metrics',
    );
    assert.ok(HealthReportSchema.safeParse(report).success);
    assert.ok(jsonByteLength(report) < MAX_BODY_BYTES.report);

    assert.equal(report.linkerd.installed, true);
    assert.equal(report.linkerd.version, 'enterprise-2.19.4');
    assert.match(report.kubernetesVersion ?? '', /1\.31\.4/);
    const categories = report.checks.categories.map((c) => c.name);
    for (const c of [
      'kubernetes-api',
      'linkerd-existence',
      'linkerd-config',
      'linkerd-identity',
      'linkerd-data-plane',
    ])
      assert.ok(categories.includes(c), `category ${c} in ${categories.join(',')}`);
    const errors = report.checks.categories.flatMap((c) => c.checks.filter((x) => x.result === 'error'));
    assert.deepEqual(errors, [], 'a healthy simulated install has no failing check');

    const roles = report.certificates.map((c) => c.role);
    assert.ok(roles.includes('trust-anchor') && roles.includes('issuer'));
    assert.equal(report.certificates.find((c) => c.role === 'issuer')?.chainsToAnchors, true);

    assert.equal(report.mtls.totalPods, 6);
    assert.equal(report.mtls.meshedPods, 4);
    assert.equal(report.mtls.podCoverage, 4 / 6);
    const emojivoto = report.mtls.namespaces.find((n) => n.name === 'emojivoto')!;
    assert.equal(emojivoto.injection, 'enabled');
    assert.equal(emojivoto.meshedPods, 4);
    const legacy = report.mtls.namespaces.find((n) => n.name === 'legacy')!;
    assert.equal(legacy.meshedPods, 0);

    // Every meshed pod was scraped through the pod proxy; meshed-to-meshed traffic is all mTLS.
    const traffic = report.mtls.trafficCoverage;
    assert.equal(traffic.podsScraped, 4);
    assert.deepEqual(report.mtls.scrapeErrors, []);
    assert.ok(traffic.requests && traffic.requests.total > 0, JSON.stringify(traffic));
    assert.equal(traffic.requests.share, 1);
  });

  it('samples at most maxPods pods and says so', async () => {
    const kube = new KubeAccess(
      { kubeconfigPath: null, kubeconfigYaml: sim.kubeconfigFor('meshed'), linkerdNamespaces: ['linkerd'] },
      quietLog,
    );
    kube.start();
    stops.push(() => kube.stop());
    await kube.waitForSync();
    const scraper = new ProxyScraper({
      kube,
      limits: { ...limits, maxPods: 2 },
      controlPlaneNamespace: 'linkerd',
    });
    const scraped = await scraper.scrape(kube.snapshot());
    assert.equal(scraped.scrapes.length, 2);
    assert.equal(scraped.sampled, true);
    assert.match(scraped.scrapes[0]!.text, /request_total|tcp_open_total/);
  });

  it('says Linkerd is not installed on a cluster without it', async () => {
    const { kube, builder } = await builderFor(sim, 'bare');
    stops.push(() => kube.stop());
    const report = await builder.build(Date.now());
    assert.equal(report.linkerd.installed, false);
    assert.equal(report.linkerd.version, null);
    const existence = report.checks.categories.find((c) => c.name === 'linkerd-existence');
    assert.ok(existence?.checks.some((c) => c.result === 'error'));
    assert.equal(report.mtls.meshedPods, 0);
    assert.deepEqual(report.certificates, []);
  });

  it('shows an expired issuer as a linkerd-identity error', async () => {
    const { kube, builder } = await builderFor(sim, 'meshed');
    stops.push(() => kube.stop());
    await sim.cluster('meshed').faults.apply({ kind: 'expireIssuer' });
    await eventually(
      async () => {
        const r = await builder.build(Date.now());
        return r.checks.categories.find((c) => c.name === 'linkerd-identity')?.checks ?? [];
      },
      (checks) => checks.some((c) => c.result === 'error' && /issuer/i.test(c.description)),
      10_000,
      'identity error',
    );
  });
});
