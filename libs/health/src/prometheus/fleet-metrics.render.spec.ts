import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertWellFormedExposition, parsePrometheusText } from '@meshfleet/testing';
import { CHUNK_BYTES } from './exposition-buffer';
import { FLEET_METRIC_NAMES, RESOURCE_FAMILIES } from './fleet-metrics.catalog';
import { ClusterMetricsRow, renderFleetMetrics, shownHealth } from './fleet-metrics.render';

const NOW = new Date('2026-12-03T12:00:00Z');
const FRESH_AFTER = new Date(NOW.getTime() - 180_000);

function row(over: Partial<ClusterMetricsRow> = {}): ClusterMetricsRow {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    name: 'eks-1',
    provider: 'EKS',
    region: 'eu-west-1',
    status: 'CONNECTED',
    mode: 'MANAGED',
    agentVersion: '0.1.0',
    kubernetesVersion: 'v1.31.2',
    generatedAtMs: NOW.getTime() - 30_000,
    health: 'HEALTHY',
    controlPlaneVersion: 'enterprise-2.19.1',
    proxySkew: 'none',
    podCoverage: 0.75,
    trafficCoverage: 0.5,
    meshedPods: 3,
    totalPods: 4,
    errorCount: 0,
    warningCount: 2,
    certificateExpiryByRole: { issuer: '2027-01-01T00:00:00.000Z' },
    alertsCritical: 1,
    alertsWarning: 0,
    alertsInfo: 0,
    proxyResources: null,
    controlPlaneResources: null,
    proxyMemoryOverhead: null,
    driftCount: null,
    ...over,
  };
}

const render = (rows: ClusterMetricsRow[]) =>
  [
    ...renderFleetMetrics({
      clusters: rows,
      fleetAlerts: { CRITICAL: 2 },
      now: NOW,
      freshAfter: FRESH_AFTER,
    }),
  ]
    .map((b) => b.toString('utf8'))
    .join('');

describe('renderFleetMetrics', () => {
  it('shows UNKNOWN for an offline agent or a stale report, never the stored HEALTHY', () => {
    const f = FRESH_AFTER.getTime();
    assert.equal(shownHealth(row(), f), 'HEALTHY');
    assert.equal(shownHealth(row({ status: 'OFFLINE' }), f), 'UNKNOWN');
    assert.equal(shownHealth(row({ generatedAtMs: f - 1 }), f), 'UNKNOWN');
    assert.equal(shownHealth(row({ health: null, generatedAtMs: null }), f), 'UNKNOWN');
    assert.equal(shownHealth(row({ health: 'NOT_INSTALLED' }), f), 'NOT_INSTALLED');
  });

  it('declares every family, resource ones included, even for an empty fleet', () => {
    const text = render([]);
    assertWellFormedExposition(text);
    const families = parsePrometheusText(text);
    assert.deepEqual(
      families.map((x) => x.name),
      FLEET_METRIC_NAMES,
    );
    for (const r of Object.values(RESOURCE_FAMILIES))
      assert.deepEqual(families.find((x) => x.name === r.name)!.metrics, []);
  });

  it('writes a cluster without a report without its report-derived series', () => {
    const text = render([
      row({
        generatedAtMs: null,
        health: null,
        podCoverage: null,
        trafficCoverage: null,
        meshedPods: null,
        totalPods: null,
        errorCount: null,
        warningCount: null,
        certificateExpiryByRole: null,
      }),
    ]);
    assertWellFormedExposition(text);
    assert.ok(!text.includes('meshfleet_cluster_mtls_pod_coverage_ratio{'));
    assert.ok(!text.includes('meshfleet_cluster_last_report_age_seconds{'));
    assert.ok(
      text.includes(
        'meshfleet_cluster_health_status{cluster="eks-1",provider="EKS",region="eu-west-1",state="UNKNOWN"} 1\n',
      ),
    );
  });

  it('keeps each family together across chunks for a large fleet', () => {
    const rows = Array.from({ length: 1200 }, (_, i) =>
      row({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `c-${i}` }),
    );
    const chunks = [
      ...renderFleetMetrics({ clusters: rows, fleetAlerts: {}, now: NOW, freshAfter: FRESH_AFTER }),
    ];
    assert.ok(chunks.length > 5, `${chunks.length} chunks`);
    for (const c of chunks.slice(0, -1)) assert.ok(c.length >= CHUNK_BYTES && c.length < CHUNK_BYTES + 4096);
    const text = Buffer.concat(chunks).toString('utf8');
    assertWellFormedExposition(text);
    const info = parsePrometheusText(text).find((x) => x.name === 'meshfleet_cluster_info')!;
    assert.equal(info.metrics.length, 1200);
    assert.ok(
      text.includes(
        'meshfleet_cluster_last_report_age_seconds{cluster="c-7",provider="EKS",region="eu-west-1"} 30\n',
      ),
    );
    assert.ok(
      text.includes(
        'meshfleet_cluster_certificate_expiry_timestamp_seconds{cluster="c-7",provider="EKS",region="eu-west-1",role="issuer"} 1798761600\n',
      ),
    );
  });

  it('writes the resource series from the stored block, each component once, unknown figures left out', () => {
    const text = render([
      row({
        proxyResources: {
          cpu: 0.125,
          mem: 94_371_840,
          p50: 20_971_520,
          p95: 31_457_280,
          max: 52_428_800,
          oomKilled: 1,
          restarts: 3,
        },
        controlPlaneResources: [
          {
            component: 'destination',
            cpu: 0.02,
            mem: 104_857_600,
            limit: 262_144_000,
            limitRatio: 0.4,
            restarts: 2,
          },
          { component: 'identity', cpu: null, mem: null },
          { component: 'odd"name', cpu: 'x', mem: -1, limit: 1 },
        ],
        proxyMemoryOverhead: 0.25,
      }),
      row({ id: '00000000-0000-4000-8000-000000000002', name: 'no-resources' }),
    ]);
    assertWellFormedExposition(text);
    const families = parsePrometheusText(text);
    const values = (name: string) =>
      families
        .find((x) => x.name === name)!
        .metrics.map((m) => [
          m.labels!['cluster'],
          m.labels!['quantile'] ?? m.labels!['component'] ?? '',
          Number(m.value),
        ]);
    assert.deepEqual(values(RESOURCE_FAMILIES.proxyMemory.name), [
      ['eks-1', '0.5', 20_971_520],
      ['eks-1', '0.95', 31_457_280],
      ['eks-1', '1', 52_428_800],
    ]);
    assert.deepEqual(values(RESOURCE_FAMILIES.proxiesMemory.name), [['eks-1', '', 94_371_840]]);
    assert.deepEqual(values(RESOURCE_FAMILIES.proxiesCpu.name), [['eks-1', '', 0.125]]);
    assert.deepEqual(values(RESOURCE_FAMILIES.memoryOverhead.name), [['eks-1', '', 0.25]]);
    assert.deepEqual(values(RESOURCE_FAMILIES.proxyOomKilled.name), [['eks-1', '', 1]]);
    assert.deepEqual(values(RESOURCE_FAMILIES.proxyRestarts.name), [['eks-1', '', 3]]);
    assert.deepEqual(values(RESOURCE_FAMILIES.controlPlaneMemory.name), [
      ['eks-1', 'destination', 104_857_600],
    ]);
    assert.deepEqual(values(RESOURCE_FAMILIES.controlPlaneCpu.name), [['eks-1', 'destination', 0.02]]);
    assert.deepEqual(values(RESOURCE_FAMILIES.controlPlaneMemoryLimit.name), [
      ['eks-1', 'destination', 262_144_000],
      ['eks-1', 'odd"name', 1],
    ]);
    assert.deepEqual(values(RESOURCE_FAMILIES.controlPlaneMemoryLimitRatio.name), [
      ['eks-1', 'destination', 0.4],
    ]);
    // Restarts are known from pod status without metrics-server: an absent count is 0.
    assert.deepEqual(values(RESOURCE_FAMILIES.controlPlaneRestarts.name), [
      ['eks-1', 'destination', 2],
      ['eks-1', 'identity', 0],
      ['eks-1', 'odd"name', 0],
    ]);
    assert.ok(text.includes(',component="odd\\"name"} 1\n'), 'label values are escaped');
  });
});
