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

  it("accepts an agent's early health reports at their tightest pacing on top of its other calls", () => {
    // The default limit (240/min) against the agent's worst case for ten minutes: an early report
    // every second (its minimum spacing, a pod flapping without pause), the periodic report, a
    // heartbeat every 15 s and a task long-poll answered every second.
    const rl = new RateLimiter(240);
    const t0 = 1_000_000;
    for (let s = 0; s < 600; s++) {
      const at = t0 + s * 1000;
      rl.take('agent', at); // early report
      rl.take('agent', at + 10); // task poll
      if (s % 15 === 0) rl.take('agent', at + 20); // heartbeat
      if (s % 60 === 0) rl.take('agent', at + 30); // periodic report
    }
  });
});
