import { ApolloDriverConfig } from '@nestjs/apollo';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import depthLimit from 'graphql-depth-limit';
import type { Logger } from 'pino';
import { AppConfig } from '@meshfleet/config';
import { formatGraphQLError, queryComplexityPlugin } from '@meshfleet/graphql';

type WsContext = {
  connectionParams?: Record<string, unknown>;
  extra?: { request?: { socket?: { remoteAddress?: string } } };
};

/**
 * HTTP requests carry their own req; graphql-ws connections authenticate with connectionParams
 * ({ authorization: "Bearer <key>" }), shaped as a request so the same guards apply.
 */
function graphqlContext(ctx: { req?: unknown; res?: unknown } & WsContext): { req: unknown; res?: unknown } {
  if (ctx.req) return { req: ctx.req, res: ctx.res };
  const params = ctx.connectionParams ?? {};
  const header = (name: string) => {
    const v = params[name] ?? params[name.toLowerCase()];
    return typeof v === 'string' ? v : undefined;
  };
  const socket = ctx.extra?.request?.socket ?? {};
  return {
    req: {
      headers: {
        authorization: header('Authorization') ?? '',
        'x-meshfleet-organization': header('X-Meshfleet-Organization'),
      },
      ip: socket.remoteAddress ?? null,
      socket,
    },
  };
}

export function graphqlOptions(config: AppConfig, logger: Logger): ApolloDriverConfig {
  return {
    path: '/graphql',
    autoSchemaFile: true,
    sortSchema: true,
    introspection: config.graphql.introspection,
    playground: false,
    plugins: [
      queryComplexityPlugin(config.graphql.maxComplexity),
      ...(config.graphql.ide ? [ApolloServerPluginLandingPageLocalDefault({ embed: true })] : []),
    ],
    validationRules: [depthLimit(config.graphql.maxDepth)],
    subscriptions: { 'graphql-ws': true },
    context: graphqlContext,
    formatError: (formatted, error) =>
      formatGraphQLError(formatted, error, (e) => logger.error({ err: e }, 'unhandled GraphQL error')),
  };
}
