import { ApolloDriverConfig } from '@nestjs/apollo';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import depthLimit from 'graphql-depth-limit';
import type { Logger } from 'pino';
import { AppConfig } from '@meshfleet/config';
import { formatGraphQLError, queryComplexityPlugin } from '@meshfleet/graphql';

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
    context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
    formatError: (formatted, error) =>
      formatGraphQLError(formatted, error, (e) => logger.error({ err: e }, 'unhandled GraphQL error')),
  };
}
