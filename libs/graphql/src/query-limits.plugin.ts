// Rejects queries that are too deep, too wide or too expensive before anything resolves, as
// HTTP 400 with a code (never a 500):
// - depth (graphql-depth-limit), run only on documents without fragment cycles: graphql-js's own
//   NoFragmentCyclesRule reports those, and depth-limit would recurse through them forever;
// - cost (graphql-query-complexity): a field costs 1 plus its selections, and a page asked with
//   `first`/`last` (default page size when absent) multiplies its selections by the page size;
// - aliases: at most `maxAliases` aliased fields per operation, fragments included.
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  NoFragmentCyclesRule,
  separateOperations,
  validate,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import depthLimit from 'graphql-depth-limit';
import {
  fieldExtensionsEstimator,
  getComplexity,
  simpleEstimator,
  type ComplexityEstimator,
} from 'graphql-query-complexity';

export interface QueryLimits {
  maxComplexity: number;
  maxAliases: number;
  /** What a paginated field returns when `first`/`last` is not given. */
  defaultPageSize: number;
  /** The largest page a field serves (larger asks are refused by the field itself). */
  maxPageSize: number;
}

/** Pages cost their selections once per item they may return. */
export function pageEstimator(defaultPageSize: number, maxPageSize: number): ComplexityEstimator {
  return ({ args, field, childComplexity }) => {
    const paged = field.args.some((a) => a.name === 'first' || a.name === 'last');
    if (!paged) return undefined;
    const asked = [args['first'], args['last']].find((v) => typeof v === 'number' && v > 0) as
      number | undefined;
    return 1 + childComplexity * Math.min(asked ?? defaultPageSize, maxPageSize);
  };
}

function tooComplex(message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'QUERY_TOO_COMPLEX', ...extensions, http: { status: 400 } },
  });
}

/** Aliased fields in the operation, counting each fragment spread where it is used. */
export function aliasCount(document: DocumentNode, operation: DocumentNode = document): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined): number => {
    let n = 0;
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) n += (s.alias ? 1 : 0) + walk(s.selectionSet);
      else if (s.kind === Kind.INLINE_FRAGMENT) n += walk(s.selectionSet);
      else {
        const name = s.name.value;
        if (seen.has(name)) continue; // a cycle; NoFragmentCyclesRule reports it
        seen.add(name);
        n += walk(fragments.get(name)?.selectionSet);
        seen.delete(name);
      }
    }
    return n;
  };
  return operation.definitions.reduce(
    (n, d) => n + (d.kind === Kind.OPERATION_DEFINITION ? walk(d.selectionSet) : 0),
    0,
  );
}

/** graphql-depth-limit, skipped for documents with fragment cycles (reported by graphql-js). */
export function depthLimitRule(maxDepth: number): ValidationRule {
  const inner = depthLimit(maxDepth) as unknown as ValidationRule;
  return (context: ValidationContext): ASTVisitor => {
    const cycles = validate(context.getSchema(), context.getDocument(), [NoFragmentCyclesRule]);
    return cycles.length ? {} : inner(context);
  };
}

export function queryComplexityPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart(): Promise<GraphQLRequestListener<object>> {
      return {
        async didResolveOperation({ request, document, schema }) {
          const query =
            (request.operationName ? separateOperations(document)[request.operationName] : document) ??
            document;
          const aliases = aliasCount(document, query);
          if (aliases > limits.maxAliases) {
            throw tooComplex(`Query uses ${aliases} aliases, more than ${limits.maxAliases}`, {
              aliases,
              maxAliases: limits.maxAliases,
            });
          }
          let complexity: number;
          try {
            complexity = getComplexity({
              schema,
              query,
              variables: request.variables ?? {},
              estimators: [
                fieldExtensionsEstimator(),
                pageEstimator(limits.defaultPageSize, limits.maxPageSize),
                simpleEstimator({ defaultComplexity: 1 }),
              ],
            });
          } catch (e) {
            // Counting coerces the variables first: a variable of the wrong type or a null for a
            // non-null one is the caller's input, said as GraphQL would say it.
            if (e instanceof GraphQLError)
              throw new GraphQLError(e.message, {
                nodes: e.nodes,
                extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
              });
            throw e;
          }
          if (complexity > limits.maxComplexity) {
            throw tooComplex(`Query is too complex: ${complexity} > ${limits.maxComplexity}`, {
              complexity,
              maxComplexity: limits.maxComplexity,
            });
          }
        },
      };
    },
  };
}
