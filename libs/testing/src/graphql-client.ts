// A minimal GraphQL-over-HTTP client for tests: what a portal would send.
export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  data: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

export async function gql<T = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers: Record<string, string> = {},
): Promise<GqlResponse<T>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T | null; errors?: GqlResponse['errors'] };
  return { status: res.status, data: body.data ?? null, ...(body.errors ? { errors: body.errors } : {}) };
}

/** The extensions.code of the first error, or null. */
export function errorCode(r: GqlResponse<unknown>): string | null {
  const code = r.errors?.[0]?.extensions?.['code'];
  return typeof code === 'string' ? code : null;
}
