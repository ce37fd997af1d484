import { DomainError } from '@meshfleet/core';

/**
 * Per-agent token bucket, in process memory: a flooding agent gets 429 with Retry-After.
 * Each API replica limits what it sees; behind a load balancer the effective limit scales
 * with replicas, which is fine for a flood guard.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;
  private readonly perMs: number;

  constructor(perMinute: number) {
    this.capacity = Math.max(10, Math.ceil(perMinute / 4));
    this.perMs = perMinute / 60_000;
  }

  take(key: string, now = Date.now()): void {
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    b.tokens = Math.min(this.capacity, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      throw new DomainError('RATE_LIMITED', 'Too many requests from this agent', {
        retryAfterSeconds: Math.ceil((1 - b.tokens) / this.perMs / 1000),
      });
    }
    b.tokens -= 1;
    this.buckets.set(key, b);
    if (this.buckets.size > 100_000) this.evictIdle(now);
  }

  private evictIdle(now: number): void {
    for (const [k, b] of this.buckets) if (now - b.at > 10 * 60_000) this.buckets.delete(k);
  }
}
