import { Injectable } from '@nestjs/common';
import { RedisService } from '@meshfleet/queue';

// Atomically takes the members not seen since the cutoff, so a heartbeat landing meanwhile
// re-adds its cluster as "new" and is noticed (see touch()).
const POP_STALE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #ids, 2 do redis.call('ZREM', KEYS[1], ids[i]) end
return ids`;

/**
 * Agent liveness lives in Redis (a sorted set of last-seen times), so a heartbeat costs one ZADD
 * and no Postgres write. Postgres is touched only on transitions (absent -> present).
 */
@Injectable()
export class PresenceService {
  constructor(private readonly redis: RedisService) {}

  private get key(): string {
    return this.redis.key('agents', 'last-seen');
  }

  /** Records a sign of life; true when the cluster was not present (new, or swept as offline). */
  async touch(clusterId: string, nowMs = Date.now()): Promise<boolean> {
    const added = await this.redis.client.zadd(this.key, nowMs, clusterId);
    return added === 1;
  }

  async lastSeen(clusterId: string): Promise<number | null> {
    const score = await this.redis.client.zscore(this.key, clusterId);
    return score === null ? null : Number(score);
  }

  async isPresent(clusterIds: string[]): Promise<Set<string>> {
    if (clusterIds.length === 0) return new Set();
    const scores = await this.redis.client.zmscore(this.key, ...clusterIds);
    return new Set(clusterIds.filter((_, i) => scores[i] !== null));
  }

  async popStale(cutoffMs: number, max = 1000): Promise<{ clusterId: string; lastSeenMs: number }[]> {
    const flat = (await this.redis.client.eval(
      POP_STALE,
      1,
      this.key,
      String(cutoffMs),
      String(max),
    )) as string[];
    const out: { clusterId: string; lastSeenMs: number }[] = [];
    for (let i = 0; i < flat.length; i += 2)
      out.push({ clusterId: flat[i]!, lastSeenMs: Number(flat[i + 1]) });
    return out;
  }

  async forget(clusterId: string): Promise<void> {
    await this.redis.client.zrem(this.key, clusterId);
  }
}
