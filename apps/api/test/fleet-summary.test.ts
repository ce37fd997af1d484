import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleEnrollRequest, exampleHealthReport, PROTOCOL_VERSION } from '@meshfleet/agent-protocol';
import { startApi, TestApi } from './harness';

interface Spec {
  name: string;
  provider: string;
  region: string;
  health: 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY' | 'NONE' | 'PENDING';
  version?: string;
  meshed?: number;
  total?: number;
  issuerDays?: number;
  anchor?: string;
  /** viz's bundled Prometheus in the report's resources block. */
  prometheus?: { mem: number | null; limit: number | null; retention: string | null };
}

const MiB = 1024 * 1024;

const SPECS: Spec[] = [
  {
    name: 'aks-1',
    provider: 'AKS',
    region: 'westeurope',
    health: 'HEALTHY',
    version: 'enterprise-2.20.0',
    meshed: 10,
    total: 10,
    issuerDays: 200,
    anchor: 'a'.repeat(64),
    prometheus: { mem: 120 * MiB, limit: null, retention: '6h' },
  },
  {
    name: 'aks-2',
    provider: 'AKS',
    region: 'westeurope',
    health: 'DEGRADED',
    version: 'enterprise-2.19.1',
    meshed: 5,
    total: 10,
    issuerDays: 5,
    anchor: 'a'.repeat(64),
    prometheus: { mem: 10 * MiB, limit: 20 * MiB, retention: null },
  },
  {
    name: 'eks-1',
    provider: 'EKS',
    region: 'eu-west-1',
    health: 'UNHEALTHY',
    version: 'enterprise-2.19.1',
    meshed: 0,
    total: 20,
    issuerDays: 20,
    anchor: 'b'.repeat(64),
    prometheus: { mem: 10 * MiB, limit: null, retention: null },
  },
  { name: 'gke-1', provider: 'GKE', region: 'europe-west4', health: 'NONE' },
  { name: 'onprem-1', provider: 'ONPREM', region: 'dc1', health: 'PENDING' },
];

function reportFor(s: Spec) {
  const r = exampleHealthReport() as any;
  r.sequence = Date.now();
  r.generatedAt = new Date().toISOString();
  r.linkerd = {
    ...r.linkerd,
    installed: true,
    version: s.version,
    skew: { ...r.linkerd.skew, status: s.health === 'DEGRADED' ? 'within-support' : 'none' },
  };
  const check = r.checks.categories[0].checks[0];
  check.result = s.health === 'HEALTHY' ? 'success' : s.health === 'DEGRADED' ? 'warning' : 'error';
  r.mtls = {
    ...r.mtls,
    meshedPods: s.meshed,
    totalPods: s.total,
    podCoverage: s.meshed! / s.total!,
    trafficCoverage: {
      connections: null,
      requests: { tls: s.meshed, total: s.total, share: s.meshed! / s.total! },
      podsScraped: s.total,
    },
  };
  const anchor = {
    ...r.certificates[0],
    sha256Fingerprint: s.anchor,
    notAfter: new Date(Date.now() + 3650 * 86_400_000).toISOString(),
  };
  const issuer = {
    ...r.certificates[0],
    role: 'issuer',
    name: 'identity.linkerd.cluster.local',
    isCA: true,
    sha256Fingerprint: 'c'.repeat(64),
    notAfter: new Date(Date.now() + s.issuerDays! * 86_400_000).toISOString(),
  };
  r.certificates = [anchor, issuer];
  if (s.prometheus)
    r.resources = {
      source: 'metrics-api',
      sampled: false,
      proxy: {
        pods: s.meshed,
        meshedPods: s.meshed,
        cpu: 0,
        mem: 0,
        p50: 0,
        p95: 0,
        max: 0,
        overLimit: 0,
        oomKilled: 0,
        restarts: 0,
      },
      top: [],
      namespaces: [],
      namespacesTruncated: false,
      controlPlane: [],
      vizPrometheus: { pods: 1, ...s.prometheus },
    };
  return r;
}

describe('fleetSummary', () => {
  let api: TestApi;
  let key: string;

  before(async () => {
    api = await startApi();
    ({ apiKey: key } = await api.newOrg('fleet-sum'));
    for (const s of SPECS) {
      const reg = await api.gql(
        `mutation($n: String!, $p: CloudProvider!, $r: String) { registerCluster(input: { name: $n, provider: $p, region: $r }) { bootstrapToken { token } } }`,
        { n: s.name, p: s.provider, r: s.region },
        key,
      );
      if (s.health === 'PENDING') continue;
      const headers = {
        'content-type': 'application/json',
        'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
      };
      const enroll = await fetch(`${api.url}/agent/v1/enroll`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          ...exampleEnrollRequest(),
          bootstrapToken: reg.data!.registerCluster.bootstrapToken.token,
        }),
      });
      const { credential } = (await enroll.json()) as { credential: string };
      if (s.health === 'NONE') continue;
      const res = await fetch(`${api.url}/agent/v1/reports`, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${credential}` },
        body: JSON.stringify(reportFor(s)),
      });
      assert.equal(res.status, 202);
    }
    // Another organization's clusters never count.
    const other = await api.newOrg('fleet-other');
    await api.gql(
      `mutation { registerCluster(input: { name: "aks-1", provider: AKS }) { cluster { id } } }`,
      {},
      other.apiKey,
    );
  });
  after(() => api.close());

  it('matches counts made independently from the stored reports', async () => {
    const r = await api.gql(
      `{ fleetSummary(expiringWithinDays: 30) {
      health { total healthy degraded unhealthy unknown }
      byProvider { provider total healthy unknown }
      byRegion { region clusters }
      agentsOffline pendingEnrollment
      versions { version clusters proxiesLagging }
      newestRelease clustersBehindNewest clustersWithoutLinkerd
      podCoverage trafficCoverage
      worstCoverage { clusterName podCoverage }
      expiringCertificates { clusterName role expiresInDays }
      trustAnchorGroups { sha256Fingerprint clusterCount clusters }
    } }`,
      {},
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const s = r.data!.fleetSummary;
    const reported = SPECS.filter((x) => x.total);
    assert.deepEqual(s.health, { total: 5, healthy: 1, degraded: 1, unhealthy: 1, unknown: 2 });
    assert.deepEqual(
      s.byProvider.find((p: any) => p.provider === 'AKS'),
      { provider: 'AKS', total: 2, healthy: 1, unknown: 0 },
    );
    assert.equal(s.byRegion.find((x: any) => x.region === 'westeurope').clusters, 2);
    assert.equal(s.pendingEnrollment, 1);
    assert.equal(s.agentsOffline, 0);
    assert.deepEqual(s.versions, [
      { version: 'enterprise-2.19.1', clusters: 2, proxiesLagging: 1 },
      { version: 'enterprise-2.20.0', clusters: 1, proxiesLagging: 0 },
    ]);
    assert.ok(
      s.newestRelease.startsWith('enterprise-2.20') || s.newestRelease.startsWith('edge-26'),
      s.newestRelease,
    );
    assert.equal(s.clustersBehindNewest, 2);
    assert.equal(s.clustersWithoutLinkerd, 2);
    const meshed = reported.reduce((a, x) => a + x.meshed!, 0);
    const total = reported.reduce((a, x) => a + x.total!, 0);
    assert.equal(s.podCoverage, meshed / total);
    assert.ok(Math.abs(s.trafficCoverage - meshed / total) < 1e-9);
    assert.equal(s.worstCoverage[0].clusterName, 'eks-1');
    assert.deepEqual(
      s.expiringCertificates.map((c: any) => [c.clusterName, c.role]),
      [
        ['aks-2', 'issuer'],
        ['eks-1', 'issuer'],
      ],
    );
    assert.ok(s.expiringCertificates[0].expiresInDays <= 5 && s.expiringCertificates[0].expiresInDays > 4);
    const groups = Object.fromEntries(
      s.trustAnchorGroups.map((g: any) => [g.sha256Fingerprint[0], g.clusters.sort()]),
    );
    assert.deepEqual(groups, { a: ['aks-1', 'aks-2'], b: ['eks-1'] });
    assert.deepEqual(
      s.trustAnchorGroups.map((g: any) => g.clusterCount),
      [2, 1],
    );
  });

  it('warns about clusters whose bundled viz Prometheus is beyond its sizing (5 MiB per meshed pod), with the figures', async () => {
    const r = await api.gql(
      `{ fleetSummary { vizPrometheusWarnings {
        clusterId clusterName meshedPods sizingBytes memoryBytes memoryLimitBytes retention reasons message
      } } }`,
      {},
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const w = r.data!.fleetSummary.vizPrometheusWarnings;
    assert.deepEqual(
      w.map((x: any) => [x.clusterName, x.meshedPods, x.sizingBytes, x.reasons]),
      [
        ['aks-1', 10, 50 * MiB, ['MEMORY_ABOVE_SIZING']],
        ['aks-2', 5, 25 * MiB, ['LIMIT_BELOW_SIZING']],
      ],
      'eks-1 has no meshed pods to size for',
    );
    assert.equal(w[0].memoryBytes, 120 * MiB);
    assert.equal(w[1].memoryLimitBytes, 20 * MiB);
    assert.match(w[0].message, /aks-1 uses 120 MiB, above 1\.5 × the 50 MiB its 10 meshed pods call for/);
    const one = await api.gql(
      `query($id: ID!) { cluster(id: $id) { resources { vizPrometheus { pods memoryBytes memoryLimitBytes retention } } } }`,
      { id: w[0].clusterId },
      key,
    );
    assert.deepEqual(one.data!.cluster.resources.vizPrometheus, {
      pods: 1,
      memoryBytes: 120 * MiB,
      memoryLimitBytes: null,
      retention: '6h',
    });
    const eks = await api.gql(
      `{ fleetSummary(filter: { provider: EKS }) { vizPrometheusWarnings { clusterName } } }`,
      {},
      key,
    );
    assert.deepEqual(eks.data!.fleetSummary.vizPrometheusWarnings, []);
  });

  it('applies the cluster filter, label selectors included', async () => {
    const r = await api.gql(
      `{ fleetSummary(filter: { provider: AKS }) { health { total healthy degraded } } }`,
      {},
      key,
    );
    assert.deepEqual(r.data!.fleetSummary.health, { total: 2, healthy: 1, degraded: 1 });
    const bad = await api.gql(
      `{ fleetSummary(filter: { labelSelector: "a in (" }) { health { total } } }`,
      {},
      key,
    );
    assert.equal(bad.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
  });
});
