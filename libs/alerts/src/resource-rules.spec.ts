import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceUsage } from '@meshfleet/agent-protocol';
import { ValidationError } from '@meshfleet/core';
import { clusterConditions, type ClusterState } from './alert-conditions';
import { AlertKind, effectiveRules, validateParams } from './alert-rules.catalog';

const MiB = 1024 * 1024;
const NOW = new Date('2026-06-01T00:00:00Z');

function usage(
  over: Partial<ResourceUsage['proxy']> = {},
  extra: Partial<ResourceUsage> = {},
): ResourceUsage {
  return {
    source: 'metrics-api',
    sampled: false,
    proxy: {
      pods: 3,
      meshedPods: 3,
      cpu: 0.01,
      mem: 40 * MiB,
      p50: 12 * MiB,
      p95: 20 * MiB,
      max: 20 * MiB,
      overLimit: 0,
      oomKilled: 0,
      restarts: 0,
      ...over,
    },
    top: [{ ns: 'shop', pod: 'web-1', cpu: 0.01, mem: over.max ?? 20 * MiB }],
    namespaces: [],
    namespacesTruncated: false,
    controlPlane: [
      { component: 'destination', pods: 1, cpu: 0.01, mem: 60 * MiB, limit: 250 * MiB, limitRatio: 0.24 },
    ],
    vizPrometheus: null,
    ...extra,
  };
}

const state = (resources: ResourceUsage | null): ClusterState => ({
  id: 'c1',
  name: 'prod-eu',
  status: 'CONNECTED',
  health: {
    status: 'HEALTHY',
    podCoverage: 1,
    trafficCoverage: null,
    skew: { status: 'none', oldestProxy: null, controlPlane: null },
    certificates: [],
    resources,
  },
});

const kinds = (r: ResourceUsage | null, rules = effectiveRules([])) =>
  clusterConditions(rules, state(r), NOW).map((c) => [c.kind, c.subject, c.severity]);

describe('resource alert rules', () => {
  it('fires nothing for a modest mesh or without resource figures', () => {
    assert.deepEqual(kinds(usage()), []);
    assert.deepEqual(kinds(null), []);
  });

  it('warns when the largest proxy passes 64 MiB and is critical above 80 % of a limit', () => {
    assert.deepEqual(kinds(usage({ max: 64 * MiB })), [], 'at the threshold is not above it');
    const warn = clusterConditions(effectiveRules([]), state(usage({ max: 70 * MiB })), NOW);
    assert.deepEqual(
      warn.map((c) => [c.kind, c.severity]),
      [['PROXY_MEMORY_HIGH', 'WARNING']],
    );
    assert.equal(
      warn[0]!.summary,
      'The largest proxy on cluster prod-eu (shop/web-1) uses 70 MiB (above 64 MiB)',
    );
    assert.deepEqual(kinds(usage({ max: 30 * MiB, overLimit: 1 })), [
      ['PROXY_MEMORY_HIGH', 'proxy-memory', 'CRITICAL'],
    ]);
  });

  it('honours a tuned threshold and a disabled rule', () => {
    const tuned = effectiveRules([
      {
        kind: 'PROXY_MEMORY_HIGH',
        enabled: true,
        severity: 'WARNING',
        forSeconds: 0,
        params: { thresholdBytes: 16 * MiB },
      },
    ]);
    assert.deepEqual(kinds(usage(), tuned), [['PROXY_MEMORY_HIGH', 'proxy-memory', 'WARNING']]);
    const off = effectiveRules([
      { kind: 'PROXY_OOMKILLED', enabled: false, severity: 'CRITICAL', forSeconds: 0, params: {} },
    ]);
    assert.deepEqual(kinds(usage({ oomKilled: 1 }), off), []);
  });

  it('fires PROXY_OOMKILLED as critical for an OOM-killed proxy', () => {
    assert.deepEqual(kinds(usage({ oomKilled: 2 })), [['PROXY_OOMKILLED', 'proxy-oom', 'CRITICAL']]);
  });

  it('fires CONTROL_PLANE_RESOURCE near the limit (warning) or on restarts (critical), per component', () => {
    const near = usage(
      {},
      {
        controlPlane: [
          {
            component: 'destination',
            pods: 1,
            cpu: 0.01,
            mem: 210 * MiB,
            limit: 250 * MiB,
            limitRatio: 0.84,
          },
          { component: 'identity', pods: 1, cpu: 0.01, mem: 20 * MiB, restarts: 3 },
          // No limit: measured against HA's 250Mi.
          { component: 'proxy-injector', pods: 1, cpu: 0.01, mem: 220 * MiB },
        ],
      },
    );
    assert.deepEqual(kinds(near), [
      ['CONTROL_PLANE_RESOURCE', 'control-plane:destination', 'WARNING'],
      ['CONTROL_PLANE_RESOURCE', 'control-plane:identity', 'CRITICAL'],
      ['CONTROL_PLANE_RESOURCE', 'control-plane:proxy-injector', 'WARNING'],
    ]);
  });

  it('validates the resource params', () => {
    assert.deepEqual(validateParams(AlertKind.PROXY_MEMORY_HIGH, { thresholdBytes: 128 * MiB }), {
      thresholdBytes: 128 * MiB,
    });
    assert.throws(() => validateParams(AlertKind.PROXY_MEMORY_HIGH, { thresholdBytes: 10 }), ValidationError);
    assert.throws(
      () => validateParams(AlertKind.CONTROL_PLANE_RESOURCE, { limitRatio: 1.5 }),
      ValidationError,
    );
    assert.throws(
      () => validateParams(AlertKind.PROXY_OOMKILLED, { thresholdBytes: 128 * MiB }),
      /not a setting/,
    );
  });
});
