import {
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  BeforeApplicationShutdown,
} from '@nestjs/common';
import { PrismaService } from '@meshfleet/db';
import { HealthServer, MetricsService, QueueMonitor } from '@meshfleet/observability';
import { RedisService } from '@meshfleet/redis';
import { OPERATIONS_QUEUE } from '@meshfleet/operations';
import { ROLLOUT_JOBS } from '@meshfleet/rollouts';
import { WEBHOOKS_QUEUE } from '@meshfleet/webhooks';

/** The queues this process must consume to be ready. */
const QUEUES = [OPERATIONS_QUEUE, WEBHOOKS_QUEUE, ROLLOUT_JOBS.queue];

/**
 * Hands the worker's checks and metrics to its health server. Attached in the constructor,
 * i.e. before any module starts: while a module waits for Redis at start-up, /readyz already
 * says which dependency is missing instead of only "starting".
 */
@Injectable()
export class WorkerReadiness
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private started = false;

  constructor(
    private readonly server: HealthServer,
    prisma: PrismaService,
    redis: RedisService,
    monitor: QueueMonitor,
    metrics: MetricsService,
  ) {
    server.attach({
      registry: metrics.registry,
      checks: [
        { name: 'postgres', check: () => prisma.ping() },
        {
          name: 'redis',
          check: async () => {
            // A command would wait in ioredis' offline queue; the connection state says it at once.
            if (redis.client.status !== 'ready')
              throw new Error(`Redis connection is ${redis.client.status}`);
            await redis.ping();
          },
        },
        {
          name: 'workers',
          check: () => {
            if (!this.started) return Promise.reject(new Error('starting: modules not initialised yet'));
            try {
              monitor.check(QUEUES);
              return Promise.resolve();
            } catch (e) {
              return Promise.reject(e instanceof Error ? e : new Error('BullMQ workers not ready'));
            }
          },
        },
      ],
    });
  }

  onApplicationBootstrap(): void {
    this.started = true;
  }

  beforeApplicationShutdown(): void {
    this.server.markStopping();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.close();
  }
}
