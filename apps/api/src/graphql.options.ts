import { ApolloDriverConfig } from '@nestjs/apollo';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, visit, type DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import { bearerTokenOf, type Principal } from '@meshfleet/auth';
import type { LiveSessions } from './live-sessions';
import { AppConfig } from '@meshfleet/config';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@meshfleet/core';
import {
  depthLimitRule,
  formatGraphQLError,
  queryComplexityPlugin,
  StrictDateTime,
} from '@meshfleet/graphql';

/** Who the request's credential (API key or OIDC token) names, or null when it names no one. */
export type RequestAuthenticator = (req: {
  headers: Record<string, string | string[] | undefined>;
}) => Promise<Principal | null>;

function introspects(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') found = true;
    },
  });
  return found;
}

/** In "authenticated" mode, __schema and __type need a valid credential (HTTP 401 otherwise). */
function introspectionGate(authenticated: RequestAuthenticator): ApolloServerPlugin<{ req?: unknown }> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, contextValue }) {
          if (!introspects(document)) return;
          const req = contextValue.req as { headers?: Record<string, string | undefined> } | undefined;
          if (req?.headers && (await authenticated({ headers: req.headers }))) return;
          throw new GraphQLError('Introspection needs a valid API key or token', {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
          });
        },
      };
    },
  };
}

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

export function graphqlOptions(
  config: AppConfig,
  logger: Logger,
  authenticated: RequestAuthenticator,
  sessions: LiveSessions,
): ApolloDriverConfig {
  const mode = config.graphql.introspection;
  return {
    path: '/graphql',
    autoSchemaFile: true,
    sortSchema: true,
    buildSchemaOptions: { scalarsMap: [{ type: Date, scalar: StrictDateTime }] },
    introspection: mode !== 'off',
    // "Did you mean …" would hand out the schema piece by piece.
    hideSchemaDetailsFromClientErrors: mode !== 'public',
    playground: false,
    plugins: [
      queryComplexityPlugin({
        maxComplexity: config.graphql.maxComplexity,
        maxAliases: config.graphql.maxAliases,
        defaultPageSize: DEFAULT_PAGE_SIZE,
        maxPageSize: MAX_PAGE_SIZE,
      }),
      ...(mode === 'authenticated' ? [introspectionGate(authenticated)] : []),
      // The IDE (GraphiQL, served from the API's own files) is express middleware: see graphql-ide.ts.
      ApolloServerPluginLandingPageDisabled(),
    ],
    validationRules: [depthLimitRule(config.graphql.maxDepth)],
    subscriptions: {
      'graphql-ws': {
        // Who opened the connection, so its revocation (or a JWT's expiry) closes it. A connection
        // without a valid credential stays open; the guard refuses each of its subscriptions.
        onConnect: async (ctx) => {
          const headers = (graphqlContext(ctx as never).req as { headers: Record<string, string> }).headers;
          const principal = await authenticated({ headers });
          const extra = ctx.extra as {
            socket?: { close(code: number, reason: string): void };
            principal?: Principal;
          };
          if (principal && extra.socket) {
            sessions.track(principal, bearerTokenOf(headers['authorization']) ?? '', extra.socket);
            extra.principal = principal;
          }
          return true;
        },
        onClose: (ctx) => {
          const extra = ctx.extra as {
            socket?: { close(code: number, reason: string): void };
            principal?: Principal;
          };
          if (extra.principal && extra.socket) sessions.untrack(extra.principal, extra.socket);
        },
      },
    },
    context: graphqlContext,
    formatError: (formatted, error) =>
      formatGraphQLError(formatted, error, (e) => logger.error({ err: e }, 'unhandled GraphQL error')),
  };
}
