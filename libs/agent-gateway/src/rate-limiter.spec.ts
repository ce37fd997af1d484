import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@meshfleet/core';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with a retry hint, then refills', () => {
    const rl = new RateLimiter(60); // 1/s, burst 15
    const t0 = 1_000_000;
    for (let i = 0; i < 15; i++) rl.take('a', t0);
    assert.throws(
      () => rl.take('a', t0),
      (e: unknown) =>
        e instanceof DomainError && e.code === 'RATE_LIMITED' && e.details['retryAfterSeconds'] === 1,
    );
    rl.take('b', t0);
    rl.take('a', t0 + 1000);
  });
});
