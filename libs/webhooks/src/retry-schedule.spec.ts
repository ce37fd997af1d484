import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETRY_SCHEDULE_MS, nextAttemptDelay, parseRetryAfter } from './retry-schedule';

describe('webhook retry schedule', () => {
  it('spans now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    const seq = DEFAULT_RETRY_SCHEDULE_MS.map((_, i) => nextAttemptDelay(DEFAULT_RETRY_SCHEDULE_MS, i));
    assert.deepEqual(seq, [0, 5e3, 3e5, 1.8e6, 7.2e6, 1.8e7, 3.6e7, 3.6e7]);
    assert.equal(nextAttemptDelay(DEFAULT_RETRY_SCHEDULE_MS, 8), null);
  });

  it('honours a longer Retry-After but never shortens the schedule', () => {
    assert.equal(nextAttemptDelay([0, 5000, 300_000], 1, 60_000), 60_000);
    assert.equal(nextAttemptDelay([0, 5000, 300_000], 2, 60_000), 300_000);
    assert.equal(nextAttemptDelay([0, 5000], 1, 10 * 86_400_000), 86_400_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now), 60_000);
    assert.equal(parseRetryAfter('soon', now), null);
    assert.equal(parseRetryAfter(null, now), null);
  });
});
