import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import pinoHttp from 'pino-http';
import { AppConfig } from '@meshfleet/config';
import {
  createLogger,
  httpMetricsMiddleware,
  MetricsService,
  PinoNestLogger,
  requestIdMiddleware,
  requestIdOf,
} from '@meshfleet/observability';
import { AGENT_BASE, agentHttpMiddleware } from '@meshfleet/agent-gateway';
import { AppModule } from './app.module';

/** Builds the API application (used by main and by the integration tests). */
export async function createApi(config: AppConfig): Promise<INestApplication> {
  const logger = createLogger(config.logLevel, 'meshfleet-api');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
    bodyParser: true,
  });
  app.set('trust proxy', true);
  app.disable('x-powered-by');
  app.use(requestIdMiddleware);
  // Before Nest's parsers: per-message body limits and the protocol version for agents.
  app.use(AGENT_BASE, agentHttpMiddleware());
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req) => requestIdOf(req),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  return app;
}
