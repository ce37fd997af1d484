import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { MetricsService } from '@meshfleet/observability';
import { RedisService } from '@meshfleet/redis';
import { HealthRepository } from '@meshfleet/health';
import { LivenessRepository } from './liveness.repository';
import { PresenceService } from './presence.service';

/**
 * The worker's periodic sweep: clusters silent for 3 heartbeat intervals turn OFFLINE, old health
 * samples are pruned (overdue tasks are the operations reconciler's). A Redis lock lets one
 * worker replica sweep per interval.
 */
@Injectable()
export class LivenessSweeper implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(LivenessSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly presence: PresenceService,
    private readonly liveness: LivenessRepository,
    private readonly health: HealthRepository,
    metrics: MetricsService,
  ) {
    // Read from Redis when scraped: one series per deployment, however many API replicas.
    metrics.gauge({
      name: 'meshfleet_agents_connected',
      help: 'Agents heard from within three heartbeat intervals',
      collect: async (g) =>
        g.set(await presence.countSeenSince(Date.now() - 3 * config.heartbeatIntervalSeconds * 1000)),
    });
  }

  onModuleInit(): void {
    const everyMs = Math.max(500, (this.config.heartbeatIntervalSeconds * 1000) / 2);
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().finally(() => (this.running = null));
    }, everyMs);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One sweep; returns the clusters it marked offline (tests call this directly). */
  async sweep(now = Date.now()): Promise<string[]> {
    const cutoffMs = now - 3 * this.config.heartbeatIntervalSeconds * 1000;
    const cutoff = new Date(cutoffMs);
    const offline: string[] = [];
    for (;;) {
      const stale = await this.presence.popStale(cutoffMs, 500);
      if (stale.length === 0) break;
      const marked = await this.liveness.markOffline(
        stale.map((s) => s.clusterId),
        cutoff,
      );
      offline.push(...marked.map((c) => c.id));
      if (stale.length < 500) break;
    }
    // Clusters Postgres thinks are connected but Redis has never heard of (e.g. Redis was lost).
    const candidates = await this.liveness.connectedNotSeenSince(cutoff, 1000);
    const present = await this.presence.isPresent(candidates);
    const silent = candidates.filter((id) => !present.has(id));
    offline.push(...(await this.liveness.markOffline(silent, cutoff)).map((c) => c.id));
    if (now - this.lastPrune > 3600_000) {
      this.lastPrune = now;
      await this.health.pruneSamples(new Date(now - this.config.healthRetentionDays * 86_400_000));
    }
    return offline;
  }

  private async tick(): Promise<void> {
    const lockKey = this.redis.key('locks', 'liveness-sweep');
    const ttlMs = Math.max(1000, this.config.heartbeatIntervalSeconds * 500);
    try {
      const got = await this.redis.client.set(lockKey, String(process.pid), 'PX', ttlMs, 'NX');
      if (got !== 'OK') return;
      const offline = await this.sweep();
      if (offline.length) this.log.log(`marked ${offline.length} cluster(s) OFFLINE`);
    } catch (e) {
      this.log.error(`liveness sweep failed: ${e instanceof Error ? e.message : 'unknown error'}`);
    }
  }
}
