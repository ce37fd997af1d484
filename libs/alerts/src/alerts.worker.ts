import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { OutboxConsumer } from '@meshfleet/events';
import { AlertsEvaluator } from './alerts.evaluator';

/** Worker side: evaluates alerts on outbox events, plus a periodic full pass for time-based rules. */
@Injectable()
export class AlertsWorker implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(AlertsWorker.name);
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<unknown> | null = null;

  constructor(
    private readonly outbox: OutboxConsumer,
    private readonly evaluator: AlertsEvaluator,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.outbox.register(
      { name: 'alerts', handle: (db, events) => this.evaluator.onEvents(db, events) },
      { pollIntervalMs: this.config.alerts.pollIntervalMs },
    );
    this.timer = setInterval(() => {
      // One pass at a time; a slow pass skips a tick rather than piling up.
      this.pass ??= this.evaluator
        .evaluateAll()
        .catch((e: Error) => this.log.warn(`alert evaluation failed: ${e.message}`))
        .finally(() => (this.pass = null));
    }, this.config.alerts.evaluationIntervalMs);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.pass;
  }
}
