import { createClient, type Client } from 'graphql-ws';

/** A failure the user can act on: printed as one line naming the GraphQL error code, exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface Connection {
  apiUrl: string;
  apiKey: string;
}

/** A GraphQL response's data, read field by field by the commands. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Data = Record<string, any>;

interface GqlError {
  message: string;
  extensions?: { code?: string; field?: string };
}

function graphqlUrl(apiUrl: string): URL {
  let u: URL;
  try {
    u = new URL(apiUrl);
  } catch {
    throw new CliError(`API URL ${JSON.stringify(apiUrl)} is not a URL (e.g. https://meshfleet.example.com)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError('The API URL must be http(s)');
  return new URL(u.pathname.replace(/\/+$/, '').endsWith('/graphql') ? u.pathname : '/graphql', u);
}

function toError(errors: GqlError[]): CliError {
  const first = errors[0]!;
  const code = first.extensions?.code;
  const field = first.extensions?.field ? ` (field ${first.extensions.field})` : '';
  return new CliError(`${first.message}${field}`, code);
}

/** One GraphQL request over HTTP; GraphQL errors become a CliError carrying extensions.code. */
export async function request<T = Data>(
  conn: Connection,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const url = graphqlUrl(conn.apiUrl);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${conn.apiKey}`,
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new CliError(`Cannot reach the API at ${url.origin}: ${cause}`, 'UNREACHABLE');
  }
  let body: { data?: T; errors?: GqlError[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new CliError(
      `The API at ${url.origin} answered HTTP ${res.status} without GraphQL`,
      `HTTP_${res.status}`,
    );
  }
  if (body.errors?.length) throw toError(body.errors);
  if (!body.data)
    throw new CliError(`The API answered HTTP ${res.status} without data`, `HTTP_${res.status}`);
  return body.data;
}

/** A graphql-ws subscription; `onNext` gets each payload's data until `stop()` or an error. */
export function subscribe<T>(
  conn: Connection,
  query: string,
  variables: Record<string, unknown>,
  onNext: (data: T) => void,
  onError: (e: CliError) => void,
): { stop(): void; connected: Promise<void> } {
  const url = graphqlUrl(conn.apiUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  let markConnected: () => void = () => {};
  const connected = new Promise<void>((r) => (markConnected = r));
  const client: Client = createClient({
    url: url.href,
    lazy: true,
    retryAttempts: 3,
    connectionParams: { authorization: `Bearer ${conn.apiKey}` },
    on: { connected: () => markConnected() },
  });
  const stopSub = client.subscribe<T>(
    { query, variables },
    {
      next: (msg) => {
        if (msg.errors?.length) onError(toError(msg.errors as GqlError[]));
        else if (msg.data) onNext(msg.data as T);
      },
      error: (e) => {
        if (Array.isArray(e)) onError(toError(e as GqlError[]));
        else
          onError(new CliError(`Subscription failed: ${(e as Error)?.message ?? String(e)}`, 'SUBSCRIPTION'));
      },
      complete: () => {},
    },
  );
  return {
    connected,
    stop: () => {
      stopSub();
      void client.dispose();
    },
  };
}
