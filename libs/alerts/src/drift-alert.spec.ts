import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterConditions, type ClusterState } from './alert-conditions';
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
});
