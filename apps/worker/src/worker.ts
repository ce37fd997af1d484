import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig } from '@meshfleet/config';
import { PrismaService } from '@meshfleet/db';
import { RedisService } from '@meshfleet/redis';
import { createLogger, HealthServer, PinoNestLogger } from '@meshfleet/observability';
import { WorkerModule } from './worker.module';

/**
 * Builds and starts the worker context: verifies Postgres and Redis before taking work. Its
 * health server (/healthz, /readyz, /metrics on MESHFLEET_WORKER_PORT) listens first, so probes
 * are answered while the modules connect; it closes with the context.
 */
export async function createWorker(config: AppConfig): Promise<INestApplicationContext> {
  const logger = createLogger(config.logLevel, 'meshfleet-worker');
  const health = new HealthServer();
  const url = await health.listen(config.workerPort, config.host);
  logger.info({ url }, 'worker health endpoints listening');
  try {
    const ctx = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, health), {
      logger: new PinoNestLogger(logger),
    });
    await ctx.get(RedisService).ping();
    await ctx.get(PrismaService).ping();
    logger.info({ url }, 'worker ready');
    return ctx;
  } catch (e) {
    await health.close();
    throw e;
  }
}
