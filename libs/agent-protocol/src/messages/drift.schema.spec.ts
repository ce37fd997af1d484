import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleHealthReport } from '../examples';
import { jsonByteLength, MAX_BODY_BYTES } from '../limits';
import { parseMessage, parseOrThrow } from '../parse';
import { MAX_DRIFT_FINDINGS, type DriftFinding } from './drift.schema';
import { HealthReportSchema } from './health-report.schema';

const finding = (i: number): DriftFinding => ({
  reason: 'CHANGED',
  kind: 'Deployment',
  namespace: 'linkerd',
  name: `linkerd-destination-${i}`,
  path: 'spec.template.spec.containers[name=destination].image',
  desired: 'x'.repeat(512),
  live: 'y'.repeat(512),
  manager: 'kubectl-edit',
  since: '2026-12-03T08:01:02Z',
});

describe('drift in the health report', () => {
  it('is null for an agent that predates drift detection', () => {
    assert.equal(parseOrThrow(HealthReportSchema, exampleHealthReport()).drift, null);
  });

  it('carries findings with field, manager and since', () => {
    const drift = {
      checkedAt: '2026-12-03T08:02:00Z',
      desiredDigest: 'sha256:ab',
      objectsChecked: 40,
      total: 1,
      findings: [finding(0)],
    };
    const report = parseOrThrow(HealthReportSchema, { ...exampleHealthReport(), drift });
    assert.equal(report.drift?.findings[0]?.manager, 'kubectl-edit');
  });

  it('rejects more findings than the bound, and the bound fits the report body limit', () => {
    const findings = Array.from({ length: MAX_DRIFT_FINDINGS }, (_, i) => finding(i));
    const drift = {
      checkedAt: '2026-12-03T08:02:00Z',
      desiredDigest: null,
      objectsChecked: 40,
      total: 999,
      findings,
    };
    assert.ok(jsonByteLength(drift) < MAX_BODY_BYTES.report / 4, `${jsonByteLength(drift)} bytes`);
    const over = parseMessage(HealthReportSchema, {
      ...exampleHealthReport(),
      drift: { ...drift, findings: [...findings, finding(-1)] },
    });
    assert.equal(over.ok, false);
  });
});
