import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import {
  HealthServer,
  MetricsService,
  QueueMonitor,
  READINESS_CHECKS,
  ReadinessCheck,
} from '@meshfleet/observability';
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
    @Inject(READINESS_CHECKS) dependencies: ReadinessCheck[],
    monitor: QueueMonitor,
    metrics: MetricsService,
  ) {
    server.attach({
      registry: metrics.registry,
      checks: [
        ...dependencies,
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
