// The GraphQL calls fleet-sim makes, exactly as a user (or a portal) would send them over HTTP.

export class FleetGraphqlError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'FleetGraphqlError';
  }
}

export interface GraphqlClient {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export function graphqlClient(apiUrl: string, apiKey: string, timeoutMs = 15_000): GraphqlClient {
  const url = `${apiUrl.replace(/\/+$/, '')}/graphql`;
  return {
    async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        throw new FleetGraphqlError(
          `cannot reach the Meshfleet API at ${url}: ${e instanceof Error ? e.message : 'network error'}`,
          'UNREACHABLE',
        );
      }
      let body: { data?: T | null; errors?: { message: string; extensions?: { code?: unknown } }[] };
      try {
        body = (await res.json()) as typeof body;
      } catch {
        throw new FleetGraphqlError(`${url} answered HTTP ${res.status} without a GraphQL body`, null);
      }
      const first = body.errors?.[0];
      if (first) {
        const code = typeof first.extensions?.code === 'string' ? first.extensions.code : null;
        throw new FleetGraphqlError(`GraphQL error${code ? ` ${code}` : ''}: ${first.message}`, code);
      }
      if (!body.data) throw new FleetGraphqlError(`${url} answered HTTP ${res.status} without data`, null);
      return body.data;
    },
  };
}
