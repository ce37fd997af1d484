import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClusterState,
  clusterConditions,
  eventTransitions,
  fingerprint,
  HealthFacts,
} from './alert-conditions';
import { AlertKind, effectiveRules, severityRank, validateParams } from './alert-rules.catalog';

const NOW = new Date('2026-06-01T00:00:00Z');
const inDays = (d: number) => new Date(NOW.getTime() + d * 86_400_000).toISOString();
type Report = {
  certificates?: HealthFacts['certificates'];
  linkerd?: { skew: HealthFacts['skew'] };
};
/** A cluster whose stored facts are healthy unless `over` says otherwise; `report` adds certificates and skew. */
const state = (over: Partial<HealthFacts> = {}, report: Report = {}): ClusterState => ({
  id: 'c1',
  name: 'prod-eu',
  status: 'CONNECTED',
  health: {
    status: 'HEALTHY',
    podCoverage: 1,
    trafficCoverage: null,
    skew: report.linkerd?.skew ?? { status: 'none', oldestProxy: null, controlPlane: null },
    certificates: report.certificates ?? [],
    ...over,
  },
});

describe('alert conditions', () => {
  const rules = effectiveRules([]);

  it('has every rule with defaults, MESH_DEGRADED off', () => {
    assert.equal(rules.length, 16);
    assert.equal(rules.find((r) => r.kind === AlertKind.MESH_DEGRADED)!.enabled, false);
    assert.deepEqual(rules.find((r) => r.kind === AlertKind.CERTIFICATE_EXPIRING)!.params.days, [30, 7, 1]);
  });

  it('fires CONTROL_PLANE_UNHEALTHY for an unhealthy cluster and nothing for a healthy one', () => {
    assert.deepEqual(clusterConditions(rules, state(), NOW), []);
    const c = clusterConditions(rules, state({ status: 'UNHEALTHY' }), NOW);
    assert.deepEqual(
      c.map((x) => [x.kind, x.severity]),
      [['CONTROL_PLANE_UNHEALTHY', 'CRITICAL']],
    );
  });

  it('fires nothing for a cluster without Linkerd unless Linkerd is expected there', () => {
    // 0 % coverage and no certificates: no MTLS_COVERAGE_BELOW either, nothing to measure.
    const bare = state({ status: 'NOT_INSTALLED', podCoverage: 0, trafficCoverage: null });
    assert.deepEqual(clusterConditions(rules, bare, NOW), []);
    const expected = clusterConditions(rules, { ...bare, linkerdExpected: true }, NOW);
    assert.deepEqual(
      expected.map((x) => [x.kind, x.severity]),
      [['CONTROL_PLANE_UNHEALTHY', 'CRITICAL']],
    );
    assert.match(expected[0]!.summary, /expected .* no control plane/);
    // Meshfleet uninstalling it holds the alert like any other change.
    assert.deepEqual(clusterConditions(rules, { ...bare, linkerdExpected: true, changing: true }, NOW), []);
  });

  it('holds control-plane and mesh alerts while Meshfleet changes the cluster, not the others', () => {
    const mid = { ...state({ status: 'UNHEALTHY', podCoverage: 0.5 }), changing: true };
    assert.deepEqual(
      clusterConditions(rules, mid, NOW).map((x) => x.kind),
      ['MTLS_COVERAGE_BELOW'],
    );
    const withDegraded = effectiveRules([
      { kind: AlertKind.MESH_DEGRADED, enabled: true, severity: 'WARNING', forSeconds: 0, params: {} },
    ] as any);
    const degraded = { ...state({ status: 'DEGRADED' }), changing: true };
    assert.deepEqual(clusterConditions(withDegraded, degraded, NOW), []);
    assert.deepEqual(
      clusterConditions(withDegraded, { ...degraded, changing: false }, NOW).map((x) => x.kind),
      ['MESH_DEGRADED'],
    );
  });

  it('only AGENT_OFFLINE speaks for an offline cluster', () => {
    const c = clusterConditions(rules, { ...state({ status: 'UNHEALTHY' }), status: 'OFFLINE' }, NOW);
    assert.deepEqual(
      c.map((x) => x.kind),
      ['AGENT_OFFLINE'],
    );
  });

  it('grades certificate expiry by the 30/7/1 day thresholds and flags expired ones', () => {
    const certs = [
      { role: 'issuer', name: 'a', notAfter: inDays(20) },
      { role: 'issuer', name: 'b', notAfter: inDays(5) },
      { role: 'webhook', name: 'c', notAfter: inDays(0.5) },
      { role: 'trust-anchor', name: 'd', notAfter: inDays(-1) },
      { role: 'trust-anchor', name: 'e', notAfter: inDays(90) },
    ];
    const c = clusterConditions(rules, state({}, { certificates: certs }), NOW);
    assert.deepEqual(
      c.map((x) => [x.kind, x.subject, x.severity]),
      [
        ['CERTIFICATE_EXPIRING', 'certificate:issuer/a', 'INFO'],
        ['CERTIFICATE_EXPIRING', 'certificate:issuer/b', 'WARNING'],
        ['CERTIFICATE_EXPIRING', 'certificate:webhook/c', 'CRITICAL'],
        ['CERTIFICATE_EXPIRED', 'certificate:trust-anchor/d', 'CRITICAL'],
      ],
    );
  });

  it('checks mTLS coverage against the threshold and unsupported proxy skew', () => {
    const c = clusterConditions(
      rules,
      state(
        { podCoverage: 0.5 },
        { linkerd: { skew: { status: 'unsupported', oldestProxy: 'a', controlPlane: 'b' } } },
      ),
      NOW,
    );
    assert.deepEqual(
      c.map((x) => x.kind),
      ['MTLS_COVERAGE_BELOW', 'VERSION_SKEW'],
    );
  });

  it('checks the lower of pod and traffic coverage, naming which one is low', () => {
    const tuned = effectiveRules([
      {
        kind: AlertKind.MTLS_COVERAGE_BELOW,
        enabled: true,
        severity: 'WARNING',
        forSeconds: 0,
        params: { threshold: 0.7 },
      },
    ] as any);
    const low = clusterConditions(tuned, state({ podCoverage: 1, trafficCoverage: 0.5 }), NOW);
    assert.deepEqual(
      low.map((x) => [x.kind, x.summary]),
      [['MTLS_COVERAGE_BELOW', 'mTLS traffic coverage on cluster prod-eu is 50% (below 70%)']],
    );
    assert.deepEqual(clusterConditions(tuned, state({ podCoverage: 1, trafficCoverage: 0.8 }), NOW), []);
    assert.match(
      clusterConditions(tuned, state({ podCoverage: 0.4, trafficCoverage: 0.5 }), NOW)[0]!.summary,
      /pod coverage .* 40%/,
    );
    // Nothing measured: nothing to alert on.
    assert.deepEqual(clusterConditions(tuned, state({ podCoverage: null, trafficCoverage: null }), NOW), []);
  });

  it('calls for a certificate alert from the earliest expiry alone whenever the full list does', () => {
    const rules2 = effectiveRules([]);
    for (const days of [-1, 0.5, 5, 20, 31, 400]) {
      const certs = [
        { role: 'issuer', name: 'a', notAfter: inDays(days) },
        { role: 'webhook', name: 'b', notAfter: inDays(days + 100) },
      ];
      const full = clusterConditions(rules2, state({ certificates: certs }), NOW).length > 0;
      const earliest = clusterConditions(rules2, state({ certificates: [certs[0]!] }), NOW).length > 0;
      assert.equal(earliest, full, `${days} days`);
      assert.equal(full, days <= 30, `${days} days`);
    }
  });

  it('turns operation and rollout events into fire/resolve transitions', () => {
    assert.deepEqual(
      eventTransitions('operation.failed', { kind: 'UPGRADE', clusterName: 'x', reason: 'boom' }).map((t) => [
        t.action,
        t.kind,
      ]),
      [['fire', 'OPERATION_FAILED']],
    );
    assert.equal(eventTransitions('operation.succeeded', { kind: 'UPGRADE' })[0]!.action, 'resolve');
    assert.deepEqual(eventTransitions('cluster.online', {}), []);
    assert.equal(fingerprint('A', 'c', 's'), 'A|c|s');
  });

  it('validates rule params per kind', () => {
    assert.deepEqual(validateParams(AlertKind.CERTIFICATE_EXPIRING, { days: [7, 30] }), { days: [30, 7] });
    assert.throws(() => validateParams(AlertKind.MTLS_COVERAGE_BELOW, { threshold: 2 }), /between 0 and 1/);
    assert.throws(() => validateParams(AlertKind.AGENT_OFFLINE, { days: [1] }), /not a setting/);
  });
});

describe('severityRank', () => {
  it('orders severities so only a rise counts as an escalation', () => {
    assert.ok(severityRank('CRITICAL') > severityRank('WARNING'));
    assert.ok(severityRank('WARNING') > severityRank('INFO'));
    assert.ok(severityRank('INFO') > severityRank('SOMETHING-ELSE'));
  });
});
