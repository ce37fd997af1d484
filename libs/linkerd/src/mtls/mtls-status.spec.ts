import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jsonByteLength, LIMITS, MtlsStatusSchema } from '@meshfleet/agent-protocol';
import { healthyCluster, NOW, pod } from '../testing/cluster.fixture';
import { makePki, type TestPki } from '../testing/pki.fixture';
import { mtlsStatus } from './mtls-status';

describe('mtlsStatus', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki(NOW);
  });

  it('counts running vs meshed pods per namespace and workload, leaving infrastructure out', () => {
    const m = mtlsStatus(healthyCluster(pki));
    assert.equal(MtlsStatusSchema.safeParse(m).success, true);
    assert.deepEqual(
      m.namespaces.map((n) => [n.name, n.injection, n.totalPods, n.meshedPods]),
      [
        ['legacy', 'unset', 2, 0],
        ['shop', 'enabled', 3, 3],
      ],
    );
    assert.deepEqual(
      m.namespaces[1]!.workloads.map((w) => [w.kind, w.name, w.injection, w.totalPods, w.meshedPods]),
      [
        ['Deployment', 'web', 'enabled', 2, 2],
        ['StatefulSet', 'db', 'enabled', 1, 1],
      ],
    );
    assert.equal(m.totalPods, 5);
    assert.equal(m.podCoverage, 3 / 5);
  });

  it('lowers pod coverage when a namespace is not injected', () => {
    const s = healthyCluster(pki);
    const before = mtlsStatus(s).podCoverage!;
    s.namespaces.push({ metadata: { name: 'batch' } });
    s.pods.push(pod({ ns: 'batch', name: 'job-1', meshed: false, owner: { kind: 'Job', name: 'nightly' } }));
    const after = mtlsStatus(s);
    assert.ok(after.podCoverage! < before);
    assert.equal(after.namespaces.find((n) => n.name === 'batch')?.workloads[0]?.kind, 'Job');
  });

  it('ignores pods that are not running and host-network pods', () => {
    const s = healthyCluster(pki);
    s.pods.push(pod({ ns: 'legacy', name: 'done', meshed: false, phase: 'Succeeded' }));
    const hostNet = pod({ ns: 'legacy', name: 'agent', meshed: false });
    hostNet.spec!.hostNetwork = true;
    s.pods.push(hostNet);
    assert.equal(mtlsStatus(s).totalPods, 5);
  });

  it('shows an injected namespace with no pods yet and honours workload annotations', () => {
    const s = healthyCluster(pki);
    s.namespaces.push({ metadata: { name: 'new', annotations: { 'linkerd.io/inject': 'enabled' } } });
    s.deployments.find((d) => d.metadata?.name === 'api')!.spec!.template.metadata!.annotations = {
      'linkerd.io/inject': 'disabled',
    };
    const m = mtlsStatus(s);
    assert.deepEqual(m.namespaces.find((n) => n.name === 'new')?.totalPods, 0);
    assert.equal(m.namespaces.find((n) => n.name === 'legacy')?.workloads[0]?.injection, 'disabled');
  });

  it('builds a proxy version histogram and finds stale trust bundles', () => {
    const s = healthyCluster(pki);
    s.pods.push(pod({ ns: 'shop', name: 'old-1', version: 'edge-25.10.7', trustSha: 'f'.repeat(64) }));
    s.pods.push(pod({ ns: 'shop', name: 'old-2', version: 'edge-25.10.7', trustPem: 'something else' }));
    const shop = mtlsStatus(s).namespaces.find((n) => n.name === 'shop')!;
    assert.deepEqual(shop.proxyVersions, [
      { version: 'edge-26.6.3', count: 3 },
      { version: 'edge-25.10.7', count: 2 },
    ]);
    assert.equal(shop.staleTrustBundlePods, 2);
    assert.deepEqual(shop.staleTrustBundlePodNames, ['old-1', 'old-2']);
  });

  it('accepts the trust-root digest of the trimmed bundle', () => {
    const s = healthyCluster(pki);
    s.configMaps[1]!.data!['ca-bundle.crt'] = `\n${pki.anchor.pem}\n\n`;
    assert.equal(mtlsStatus(s).namespaces.find((n) => n.name === 'shop')?.staleTrustBundlePods, 0);
  });

  it('adds traffic coverage from scraped metrics and reports scrape errors', () => {
    const m = mtlsStatus(healthyCluster(pki), {
      sampled: true,
      scrapes: [
        {
          namespace: 'shop',
          pod: 'web-5d8f7c9b4-aaaaa',
          text: [
            'tcp_open_total{direction="inbound",peer="src",tls="true"} 9',
            'tcp_open_total{direction="inbound",peer="src",tls="no_identity",no_tls_reason="no_tls_from_remote"} 1',
            'tcp_open_total{direction="inbound",peer="src",tls="no_identity",no_tls_reason="loopback"} 40',
          ].join('\n'),
        },
        { namespace: 'shop', pod: 'db-0', text: 'garbage{ 1' },
      ],
      errors: [{ namespace: 'shop', pod: 'web-5d8f7c9b4-bbbbb', message: 'timeout after 5s' }],
    });
    assert.deepEqual(m.trafficCoverage.connections, { tls: 9, total: 10, share: 0.9 });
    assert.equal(m.trafficCoverage.requests, null);
    assert.equal(m.trafficCoverage.podsScraped, 1);
    assert.equal(m.sampled, true);
    assert.deepEqual(
      m.scrapeErrors.map((e) => e.pod),
      ['web-5d8f7c9b4-bbbbb', 'db-0'],
    );
  });

  it('has null traffic coverage and null pod coverage when there is no data', () => {
    const s = healthyCluster(pki);
    const m = mtlsStatus({ ...s, pods: [] });
    assert.equal(m.podCoverage, null);
    assert.deepEqual(m.trafficCoverage, { connections: null, requests: null, podsScraped: 0 });
  });

  it("lists each workload's running pods by name, ready and proxy version", () => {
    const m = mtlsStatus(healthyCluster(pki));
    const web = m.namespaces.find((n) => n.name === 'shop')!.workloads.find((w) => w.name === 'web')!;
    assert.equal(web.pods.length, 2);
    assert.equal(web.podsTruncated, false);
    for (const p of web.pods) {
      assert.ok(p.name.length > 0);
      assert.equal(p.ready, true);
      assert.ok(p.proxyVersion);
    }
    const legacy = m.namespaces.find((n) => n.name === 'legacy')!;
    assert.ok(legacy.workloads.every((w) => w.pods.every((p) => p.proxyVersion === null)));
  });

  it('bounds the pod lists on a 5,000-pod cluster: 20 per workload, 1,000 per report, totals intact', () => {
    const s = healthyCluster(pki);
    s.namespaces.push({ metadata: { name: 'big', annotations: { 'linkerd.io/inject': 'enabled' } } });
    for (let w = 0; w < 100; w++)
      for (let i = 0; i < 50; i++)
        s.pods.push(
          pod({ ns: 'big', name: `svc-${w}-${String(i).padStart(2, '0')}`, deployment: `svc-${w}` }),
        );
    const m = mtlsStatus(s);
    assert.equal(MtlsStatusSchema.safeParse(m).success, true);
    assert.equal(m.totalPods, 5005);
    const workloads = m.namespaces.flatMap((n) => n.workloads);
    const listed = workloads.reduce((sum, w) => sum + w.pods.length, 0);
    assert.equal(listed, LIMITS.podsListed);
    assert.ok(workloads.every((w) => w.pods.length <= LIMITS.podsPerWorkload));
    assert.ok(
      workloads.filter((w) => w.name.startsWith('svc-')).every((w) => w.podsTruncated && w.totalPods === 50),
    );
    const podBytes = jsonByteLength(workloads.map((w) => w.pods));
    assert.ok(podBytes < 100 * 1024, `pod lists take ${podBytes} bytes`);
  });
});
