import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluateGate,
  GateFact,
  GateInput,
  gateOf,
  lastStepAt,
  nextGateCheck,
  REPORT_GRACE_MS,
} from './rollout-gate';

const NOW = new Date('2026-06-01T12:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);
const UPGRADED = NOW.getTime() - 60_000;

const fact = (over: Partial<GateFact> = {}): GateFact => ({
  id: 'c1',
  status: 'CONNECTED',
  health: 'HEALTHY',
  generatedAt: at(-10_000),
  podCoverage: 1,
  version: 'edge-26.6.3',
  ...over,
});

const input = (over: Partial<GateInput> = {}): GateInput => ({
  gateUntil: at(-1000),
  baselinePodCoverage: 1,
  fact: fact(),
  upgradedAt: UPGRADED,
  targetVersion: 'edge-26.6.3',
  gate: { durationSeconds: 60, allowWarnings: true, maxCoverageDrop: 0.05 },
  freshness: { now: NOW, maxAgeSeconds: 180 },
  ...over,
});

describe('evaluateGate', () => {
  it('passes a fresh healthy report of the new version once the gate has run its time', () => {
    assert.deepEqual(evaluateGate(input()), { outcome: 'pass' });
  });

  it('waits while the gate runs, even with a good report', () => {
    assert.deepEqual(evaluateGate(input({ gateUntil: at(30_000) })), { outcome: 'wait' });
  });

  it('fails at once on a fresh UNHEALTHY report, and on DEGRADED only when warnings are not allowed', () => {
    const gating = { gateUntil: at(30_000) };
    assert.deepEqual(evaluateGate(input({ ...gating, fact: fact({ health: 'UNHEALTHY' }) })), {
      outcome: 'fail',
      reason: 'health gate: cluster is UNHEALTHY',
    });
    assert.deepEqual(evaluateGate(input({ fact: fact({ health: 'DEGRADED' }) })), { outcome: 'pass' });
    const strict = { durationSeconds: 60, allowWarnings: false, maxCoverageDrop: 0.05 };
    assert.deepEqual(evaluateGate(input({ ...gating, gate: strict, fact: fact({ health: 'DEGRADED' }) })), {
      outcome: 'fail',
      reason: 'health gate: cluster is DEGRADED',
    });
  });

  it('fails when pod coverage drops more than allowed from the baseline, not when it stays within', () => {
    assert.deepEqual(evaluateGate(input({ baselinePodCoverage: 0.9, fact: fact({ podCoverage: 0.8 }) })), {
      outcome: 'fail',
      reason: 'health gate: pod mTLS coverage dropped by 10.0 points',
    });
    assert.deepEqual(evaluateGate(input({ baselinePodCoverage: 0.9, fact: fact({ podCoverage: 0.86 }) })), {
      outcome: 'pass',
    });
    // Without a baseline (already at the target) there is nothing to measure the drop from.
    assert.deepEqual(evaluateGate(input({ baselinePodCoverage: null, fact: fact({ podCoverage: 0 }) })), {
      outcome: 'pass',
    });
  });

  it('ignores reports from before the upgrade ended, stale ones, other versions and offline clusters', () => {
    const notCounted: Partial<GateFact>[] = [
      { generatedAt: new Date(UPGRADED - 1), health: 'UNHEALTHY' },
      { generatedAt: at(-181_000), health: 'UNHEALTHY' },
      { version: 'edge-26.5.1', health: 'UNHEALTHY' },
      { status: 'OFFLINE', health: 'UNHEALTHY' },
      { generatedAt: null },
    ];
    for (const over of notCounted)
      assert.deepEqual(evaluateGate(input({ fact: fact(over) })), { outcome: 'wait' }, JSON.stringify(over));
    assert.deepEqual(evaluateGate(input({ fact: undefined })), { outcome: 'wait' });
  });

  it('fails a target that never sent a fresh report of the new version within the grace period', () => {
    const late = { gateUntil: at(-REPORT_GRACE_MS - 1), fact: fact({ version: 'edge-26.5.1' }) };
    assert.deepEqual(evaluateGate(input(late)), {
      outcome: 'fail',
      reason: 'health gate: no fresh report of the new version',
    });
    assert.deepEqual(evaluateGate(input({ ...late, gateUntil: at(-REPORT_GRACE_MS + 1) })), {
      outcome: 'wait',
    });
  });
});

describe('lastStepAt', () => {
  it("reads the time of an operation's last step, 0 without one", () => {
    const steps = [{ at: '2026-06-01T11:00:00Z' }, { at: '2026-06-01T11:59:00Z' }];
    assert.equal(lastStepAt(steps), Date.parse('2026-06-01T11:59:00Z'));
    assert.equal(lastStepAt([]), 0);
    assert.equal(lastStepAt(null), 0);
    assert.equal(lastStepAt([{ at: 'not a date' }]), 0);
  });
});

describe('nextGateCheck', () => {
  it("wakes at the earliest gate's end, or soon for a gate whose report is late, never before now", () => {
    const wave = [
      { status: 'GATING', gateUntil: at(40_000) },
      { status: 'GATING', gateUntil: at(20_000) },
      { status: 'DONE', gateUntil: at(1_000) },
    ];
    assert.deepEqual(nextGateCheck(wave, NOW), at(20_000));
    assert.deepEqual(nextGateCheck([{ status: 'GATING', gateUntil: at(-5_000) }], NOW), at(500));
    assert.equal(nextGateCheck([{ status: 'UPGRADING', gateUntil: null }], NOW), null);
  });
});

describe('gateOf', () => {
  const gate = { durationSeconds: 60, allowWarnings: true, maxCoverageDrop: 0.05 };

  it('keeps the upgrade gate as the strategy says', () => {
    assert.deepEqual(gateOf('UPGRADE', 'edge-26.6.3', gate), { targetVersion: 'edge-26.6.3', gate });
  });

  it('lets a mesh adoption pass on any version but fails any coverage drop below the baseline', () => {
    const mesh = gateOf('MESH_NAMESPACES', '', gate);
    assert.deepEqual(evaluateGate(input({ ...mesh, fact: fact({ version: 'enterprise-2.19.1' }) })), {
      outcome: 'pass',
    });
    // A 2-point drop passes an upgrade's 5-point allowance, not an adoption.
    const dropped = { baselinePodCoverage: 0.6, fact: fact({ podCoverage: 0.58 }) };
    assert.deepEqual(evaluateGate(input(dropped)), { outcome: 'pass' });
    assert.deepEqual(evaluateGate(input({ ...mesh, ...dropped })), {
      outcome: 'fail',
      reason: 'health gate: pod mTLS coverage dropped by 2.0 points',
    });
    assert.deepEqual(
      evaluateGate(input({ ...mesh, baselinePodCoverage: 0.57, fact: fact({ podCoverage: 1 }) })),
      {
        outcome: 'pass',
      },
    );
  });
});
