import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { RedisService } from '@meshfleet/redis';

// Atomically takes the members not seen since the cutoff, so a heartbeat landing meanwhile
// re-adds its cluster as "new" and is noticed (see touch()).
const POP_STALE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #ids, 2 do redis.call('ZREM', KEYS[1], ids[i]) end
return ids`;

interface PendingTouch {
  clusterId: string;
  nowMs: number;
  resolve(added: boolean): void;
  reject(e: unknown): void;
}

const WRITE_BEHIND_MS = 100;
const WRITE_BEHIND_MAX = 2000;

/**
 * Agent liveness lives in Redis (a sorted set of last-seen times), so a heartbeat costs one ZADD
 * and no Postgres write. Postgres is touched only on transitions (absent -> present).
 *
 * At fleet scale the Redis round trip per heartbeat is most of a heartbeat's cost, so:
 * - touches from one event-loop turn go out as one pipeline;
 * - a cluster that Redis confirmed present within the last two heartbeat intervals cannot have
 *   been swept (that takes three), so its touch answers "was present" at once and its ZADD is
 *   written behind, in pipelines of up to WRITE_BEHIND_MAX every WRITE_BEHIND_MS. If such a ZADD
 *   finds the cluster missing after all (Redis lost its data), the cluster's next touch reports it
 *   absent, so the transition is recorded one interval later instead of being lost.
 */
@Injectable()
export class PresenceService implements OnModuleDestroy {
  private pending: PendingTouch[] = [];
  private behind = new Map<string, number>();
  private behindTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** clusterId -> the touch time of the last ZADD that Redis answered. */
  private readonly confirmed = new Map<string, number>();
  /** Clusters a written-behind ZADD found missing: their next touch is a transition. */
  private readonly lost = new Set<string>();
  private readonly freshMs: number;
  private prunedAt = 0;

  constructor(
    private readonly redis: RedisService,
    @Inject(AppConfig) config: AppConfig,
  ) {
    this.freshMs = 2 * config.heartbeatIntervalSeconds * 1000;
  }

  private get key(): string {
    return this.redis.key('agents', 'last-seen');
  }

  /** Records a sign of life; true when the cluster was not present (new, or swept as offline). */
  touch(clusterId: string, nowMs = Date.now()): Promise<boolean> {
    const seen = this.confirmed.get(clusterId);
    if (seen !== undefined && nowMs - seen < this.freshMs && nowMs >= seen && !this.lost.has(clusterId)) {
      this.behind.set(clusterId, Math.max(nowMs, this.behind.get(clusterId) ?? 0));
      if (this.behind.size >= WRITE_BEHIND_MAX) this.flushBehind();
      else this.behindTimer ??= setTimeout(() => this.flushBehind(), WRITE_BEHIND_MS);
      return Promise.resolve(false);
    }
    const wasLost = this.lost.delete(clusterId);
    return new Promise<boolean>((resolve, reject) => {
      if (this.pending.push({ clusterId, nowMs, resolve, reject }) === 1) setImmediate(() => this.flush());
    }).then((added) => added || wasLost);
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const key = this.key;
    const pipeline = this.redis.client.pipeline();
    for (const t of batch) pipeline.zadd(key, t.nowMs, t.clusterId);
    pipeline.exec().then(
      (results) =>
        batch.forEach((t, i) => {
          const [err, added] = results?.[i] ?? [new Error('Redis pipeline returned no result'), null];
          if (err) return t.reject(err);
          this.confirm(t.clusterId, t.nowMs);
          t.resolve(added === 1);
        }),
      (e: unknown) => batch.forEach((t) => t.reject(e)),
    );
  }

  private flushBehind(): void {
    if (this.behindTimer) clearTimeout(this.behindTimer);
    this.behindTimer = null;
    const batch = this.behind;
    if (batch.size === 0) return;
    this.behind = new Map();
    const key = this.key;
    const pipeline = this.redis.client.pipeline();
    for (const [clusterId, nowMs] of batch) pipeline.zadd(key, nowMs, clusterId);
    this.flushing = pipeline.exec().then(
      (results) => {
        let i = 0;
        for (const [clusterId, nowMs] of batch) {
          const [err, added] = results?.[i++] ?? [null, null];
          if (err) this.confirmed.delete(clusterId);
          else if (added === 1) {
            this.confirmed.delete(clusterId);
            this.lost.add(clusterId);
          } else this.confirm(clusterId, nowMs);
        }
      },
      // Unconfirmed clusters take the answered path again, which surfaces the error to the agent.
      () => batch.forEach((_, clusterId) => this.confirmed.delete(clusterId)),
    );
  }

  private confirm(clusterId: string, nowMs: number): void {
    if (nowMs > (this.confirmed.get(clusterId) ?? 0)) this.confirmed.set(clusterId, nowMs);
    // Entries of clusters gone quiet are useless: drop them now and then.
    if (nowMs - this.prunedAt > this.freshMs) {
      this.prunedAt = nowMs;
      for (const [id, at] of this.confirmed) if (at < nowMs - this.freshMs) this.confirmed.delete(id);
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.flushBehind();
    await this.flushing;
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

  /** Clusters heard from at or after `sinceMs`. */
  countSeenSince(sinceMs: number): Promise<number> {
    return this.redis.client.zcount(this.key, String(sinceMs), '+inf');
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
    this.confirmed.delete(clusterId);
    this.behind.delete(clusterId);
    await this.redis.client.zrem(this.key, clusterId);
  }
}
