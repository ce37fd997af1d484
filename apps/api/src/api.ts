import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import pinoHttp from 'pino-http';
import type { Logger } from 'pino';
import { AppConfig } from '@meshfleet/config';
import {
  createLogger,
  httpMetricsMiddleware,
  MetricsService,
  PinoNestLogger,
  requestIdMiddleware,
  requestIdOf,
  tracingMiddleware,
} from '@meshfleet/observability';
import { AgentRouter, AgentRouterHooks } from '@meshfleet/agent-gateway';
import { AGENT_API_BASE, AGENT_ROUTES } from '@meshfleet/agent-protocol';
import { AppModule } from './app.module';
import {
  authenticateBearer,
  bearerTokenOf,
  ApiKeyAuthenticator,
  JwtAuthenticator,
  roleAtLeast,
} from '@meshfleet/auth';
import { DomainError } from '@meshfleet/core';
import { Role } from '@meshfleet/db';
import type { Request } from 'express';
import { declaredLengthLimit, graphqlBodyLimit, type LargeBodyGate } from './graphql-body-limit';
import { graphqlIde } from './graphql-ide';

const LONG_POLL_ROUTE = `${AGENT_API_BASE}${AGENT_ROUTES.nextTask.path}`;

/** Builds the API application (used by main and by the integration tests). */
export async function createApi(config: AppConfig): Promise<INestApplication> {
  const logger = createLogger(config.logLevel, 'meshfleet-api');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
    bodyParser: true,
  });
  app.set('trust proxy', true);
  app.disable('x-powered-by');
  if (config.tracing) app.use(tracingMiddleware());
  app.use(requestIdMiddleware);
  // The IDE page and its assets (GET only), before the GraphQL body handling.
  if (config.graphql.ide) app.use(graphqlIde());
  app.use(declaredLengthLimit(config.graphql));
  app.use('/graphql', ...graphqlBodyLimit(config.graphql, largeBodyGate(app)));
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req) => requestIdOf(req),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  serveAgentRoutes(app, logger);
  return app;
}

/** Large GraphQL bodies are for importLinkerdRelease, which needs ADMIN: checked from the headers. */
function largeBodyGate(app: NestExpressApplication): LargeBodyGate {
  const apiKeys = app.get(ApiKeyAuthenticator);
  const jwt = app.get(JwtAuthenticator);
  return async (req: Request) => {
    const token = bearerTokenOf(req.headers.authorization);
    if (!token)
      return { verdict: 'unauthenticated', message: 'A request body this large needs a bearer credential' };
    try {
      const p = await authenticateBearer(apiKeys, jwt, token, req.headers['x-meshfleet-organization']);
      return { verdict: roleAtLeast(p.role, Role.ADMIN) ? 'admit' : 'small' };
    } catch (e) {
      if (e instanceof DomainError && e.code === 'UNAUTHENTICATED')
        return { verdict: 'unauthenticated', message: e.message };
      if (e instanceof DomainError) return { verdict: 'small' };
      throw e;
    }
  };
}

/**
 * /agent/v1 (thousands of calls a second at fleet scale) is answered by its own router before
 * express sees it; the hooks do what the middleware above does for the rest: request id,
 * metrics, access log.
 */
function serveAgentRoutes(app: NestExpressApplication, logger: Logger): void {
  const router = app.get(AgentRouter);
  const metrics = app.get(MetricsService);
  const hooks: AgentRouterHooks = {
    begin: (req, res) => {
      const id = requestIdOf(req);
      res.setHeader('x-request-id', id);
      return id;
    },
    end: (req, res, route, startedAt) => {
      const ms = performance.now() - startedAt;
      const code = String(res.statusCode);
      // A long-poll waits on purpose: its time would drown every other route's latency.
      if (route === LONG_POLL_ROUTE) metrics.longPolls.inc({ route, code });
      else metrics.httpDuration.observe({ method: req.method ?? 'GET', route, code }, ms / 1000);
      if (logger.isLevelEnabled('info'))
        logger.info(
          {
            req: { id: requestIdOf(req), method: req.method, url: req.url },
            res: { statusCode: res.statusCode },
            responseTime: Math.round(ms),
          },
          'request completed',
        );
    },
    crash: (e) => logger.error({ context: 'ExceptionsHandler', err: e }, 'Internal server error'),
  };
  const server = app.getHttpServer() as Server;
  const rest = server.listeners('request') as ((...args: unknown[]) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    if (!router.handle(req, res, hooks)) for (const l of rest) l.call(server, req, res);
  });
}
