import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshSince, isReportFresh, reportFreshness } from './report-freshness';

describe('report freshness', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const f = reportFreshness(60, now);

  it('keeps a report current for three report intervals', () => {
    assert.equal(f.maxAgeSeconds, 180);
    assert.deepEqual(freshSince(f), new Date('2026-06-01T11:57:00Z'));
  });

  it('calls a report fresh up to its maximum age and stale after it, a missing one stale', () => {
    assert.equal(isReportFresh(new Date('2026-06-01T11:57:00Z'), f), true);
    assert.equal(isReportFresh('2026-06-01T11:59:59Z', f), true);
    assert.equal(isReportFresh(new Date('2026-06-01T11:56:59.999Z'), f), false);
    assert.equal(isReportFresh(null, f), false);
    assert.equal(isReportFresh('garbage', f), false);
  });
});
