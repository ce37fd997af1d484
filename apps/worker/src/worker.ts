import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig } from '@meshfleet/config';
import { PrismaService } from '@meshfleet/db';
import { RedisService } from '@meshfleet/redis';
import { createLogger, PinoNestLogger } from '@meshfleet/observability';
import { WorkerModule } from './worker.module';

/** Builds and starts the worker context: verifies Postgres and Redis before taking work. */
export async function createWorker(config: AppConfig): Promise<INestApplicationContext> {
  const logger = createLogger(config.logLevel, 'meshfleet-worker');
  const ctx = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
  });
  await ctx.get(RedisService).ping();
  await ctx.get(PrismaService).ping();
  logger.info('worker ready');
  return ctx;
}
