import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffCeiling, backoffDelay } from './backoff';

describe('backoff with full jitter', () => {
  const o = { baseMs: 500, capMs: 30_000 };

  it('doubles the ceiling per failure up to the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffCeiling(n, o)),
      [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000],
    );
    assert.equal(backoffCeiling(10_000, o), 30_000);
  });

  it('draws delays uniformly below the ceiling', () => {
    assert.equal(backoffDelay(3, { ...o, random: () => 0 }), 0);
    assert.equal(backoffDelay(3, { ...o, random: () => 0.5 }), 1000);
    assert.equal(backoffDelay(3, { ...o, random: () => 0.999999 }), 1999);
  });

  it('spreads a fleet of agents instead of retrying in lock-step', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(6, o)));
    assert.ok(delays.size > 40, `only ${delays.size} distinct delays`);
  });

  it('honours a longer Retry-After and resets after a success', () => {
    const b = new Backoff({ ...o, random: () => 0.5 });
    assert.equal(b.fail(), 250);
    assert.equal(b.fail(5000), 5000);
    assert.equal(b.attempts, 2);
    b.reset();
    assert.equal(b.fail(), 250);
  });
});
