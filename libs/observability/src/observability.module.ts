import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics';
import { QueueMonitor } from './queue-monitor';

@Global()
@Module({ providers: [MetricsService, QueueMonitor], exports: [MetricsService, QueueMonitor] })
export class ObservabilityModule {}
