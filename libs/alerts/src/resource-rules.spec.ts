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

  it('fires PROXY_CPU_HIGH above a quarter of a core or near a CPU limit, never for older agents', () => {
    assert.deepEqual(kinds(usage({ cpuMax: 0.25, cpuMaxPod: 'shop/web-1', cpuNearLimit: 0 })), []);
    const hot = clusterConditions(
      effectiveRules([]),
      state(usage({ cpuMax: 0.4, cpuMaxPod: 'shop/web-1', cpuNearLimit: 0 })),
      NOW,
    );
    assert.deepEqual(
      hot.map((c) => [c.kind, c.subject, c.severity]),
      [['PROXY_CPU_HIGH', 'proxy-cpu', 'WARNING']],
    );
    assert.equal(
      hot[0]!.summary,
      'The busiest proxy on cluster prod-eu (shop/web-1) uses 0.4 cores (above 0.25)',
    );
    const throttled = clusterConditions(
      effectiveRules([]),
      state(usage({ cpuMax: 0.09, cpuMaxPod: 'shop/web-1', cpuNearLimit: 2 })),
      NOW,
    );
    assert.match(
      throttled[0]!.summary,
      /^2 proxy\(ies\) on cluster prod-eu use more than 80% of their CPU limit/,
    );
    // Without the agent's busiest-proxy figure (an older agent), nothing is guessed.
    assert.deepEqual(kinds(usage({ cpu: 5 })), []);
    const tuned = effectiveRules([
      {
        kind: 'PROXY_CPU_HIGH',
        enabled: true,
        severity: 'WARNING',
        forSeconds: 0,
        params: { thresholdCores: 0.05 },
      },
    ]);
    assert.deepEqual(kinds(usage({ cpuMax: 0.09, cpuNearLimit: 0 }), tuned), [
      ['PROXY_CPU_HIGH', 'proxy-cpu', 'WARNING'],
    ]);
    const rule = effectiveRules([]).find((r) => r.kind === AlertKind.PROXY_CPU_HIGH)!;
    assert.equal(rule.forSeconds, 900, 'CPU is bursty: sustained 15 minutes by default');
  });

  it('fires MESH_MEMORY_OVERHEAD per namespace and for the cluster above half the application memory', () => {
    const ns = (name: string, overhead: number | null) => ({
      ns: name,
      pods: 2,
      cpu: 0.01,
      mem: 40 * MiB,
      appMem: overhead ? Math.round((40 * MiB) / overhead) : 0,
      overhead,
    });
    const r = usage(
      { overhead: 0.62 },
      { namespaces: [ns('shop', 0.2), ns('tiny-jobs', 1.6), ns('unmeasured', null)] },
    );
    const got = clusterConditions(effectiveRules([]), state(r), NOW);
    assert.deepEqual(
      got.map((c) => [c.kind, c.subject, c.severity]),
      [
        ['MESH_MEMORY_OVERHEAD', 'namespace:tiny-jobs', 'WARNING'],
        ['MESH_MEMORY_OVERHEAD', 'cluster', 'WARNING'],
      ],
    );
    assert.equal(
      got[0]!.summary,
      "Proxies in namespace tiny-jobs on cluster prod-eu use 160% of their applications' memory (above 50%)",
    );
    assert.deepEqual(kinds(usage({ overhead: 0.5 })), [], 'at the ratio is not above it');
    const tuned = effectiveRules([
      {
        kind: 'MESH_MEMORY_OVERHEAD',
        enabled: true,
        severity: 'WARNING',
        forSeconds: 0,
        params: { overheadRatio: 2 },
      },
    ]);
    assert.deepEqual(kinds(r, tuned), []);
  });

  it('validates the resource params', () => {
    assert.deepEqual(validateParams(AlertKind.MESH_MEMORY_OVERHEAD, { overheadRatio: 0.3 }), {
      overheadRatio: 0.3,
    });
    assert.throws(
      () => validateParams(AlertKind.MESH_MEMORY_OVERHEAD, { overheadRatio: 0 }),
      ValidationError,
    );
    assert.deepEqual(validateParams(AlertKind.PROXY_CPU_HIGH, { thresholdCores: 0.5 }), {
      thresholdCores: 0.5,
    });
    assert.throws(() => validateParams(AlertKind.PROXY_CPU_HIGH, { thresholdCores: 0 }), ValidationError);
    assert.throws(
      () => validateParams(AlertKind.PROXY_MEMORY_HIGH, { thresholdCores: 0.5 }),
      /not a setting/,
    );
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
